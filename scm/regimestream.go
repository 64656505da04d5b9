package scm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
)

// RegimeBatch is B data sets with the same N (their row counts differ).
type RegimeBatch struct {
	// Index is the batch's position in its stream.
	Index int
	// N is every data set's number of variables.
	N    int
	Sets []*Regimes
}

// RegimeStreamConfig configures a RegimeStream.
type RegimeStreamConfig struct {
	Prior RegimePrior
	// Batch is the number of data sets per batch (≥ 1).
	Batch int
	// MinNodes and MaxNodes bound N, drawn per batch.
	MinNodes, MaxNodes int
	// NodeExponent α biases N towards small graphs: N is drawn with
	// probability proportional to N^−α (0: uniformly, ≥ 0 and finite).
	// A Model F step costs about N^2.3, so α = 1.5 gives about 2.3 times
	// as many steps per minute over 5–50 as the uniform draw, each N still
	// drawn.
	NodeExponent float64
	// Workers is the number of generating goroutines (0: GOMAXPROCS); it
	// changes the speed, never the batches.
	Workers int
	// Start is the index of the first batch Next returns.
	Start int
}

// RegimeStream yields an endless sequence of RegimeBatches, generated ahead
// by a pool of goroutines and returned in order. Batch i draws its N from
// the stream (seed, i) and its element k from (seed, i·Batch+k), so a seed
// fixes every batch whatever the number of workers.
type RegimeStream struct {
	cfg  RegimeStreamConfig
	seed uint64
	gen  *ordered[*RegimeBatch]
}

// NewRegimeStream starts the workers of a stream seeded by seed. Call Close
// to stop them.
func NewRegimeStream(cfg RegimeStreamConfig, seed uint64) (*RegimeStream, error) {
	if err := cfg.Prior.Validate(); err != nil {
		return nil, err
	}
	if cfg.Batch < 1 || cfg.MinNodes < 2 || cfg.MaxNodes < cfg.MinNodes || cfg.Start < 0 || cfg.Workers < 0 ||
		!(cfg.NodeExponent >= 0) || math.IsInf(cfg.NodeExponent, 0) {
		return nil, fmt.Errorf("scm regime stream: want batch ≥ 1, 2 ≤ min nodes ≤ max nodes, start ≥ 0, workers ≥ 0, a finite node exponent ≥ 0; got batch %d, nodes %d–%d, start %d, workers %d, node exponent %g",
			cfg.Batch, cfg.MinNodes, cfg.MaxNodes, cfg.Start, cfg.Workers, cfg.NodeExponent)
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	s := &RegimeStream{cfg: cfg, seed: seed}
	s.gen = newOrdered(cfg.Workers, 2*cfg.Workers, cfg.Start, func(w *worker, i int) *RegimeBatch {
		return w.regimeBatch(cfg, seed, i)
	})
	return s, nil
}

// RegimeBatchAt returns batch i of the stream (cfg, seed) without starting
// workers: the same batch Next returns at position i.
func RegimeBatchAt(cfg RegimeStreamConfig, seed uint64, i int) *RegimeBatch {
	var w worker
	w.rng = rand.New(&w.pcg)
	return w.regimeBatch(cfg, seed, i)
}

func (w *worker) regimeBatch(cfg RegimeStreamConfig, seed uint64, i int) *RegimeBatch {
	n := drawNodes(newRand(seed, domainRegimeNodes, uint64(i)), cfg.MinNodes, cfg.MaxNodes, cfg.NodeExponent)
	b := &RegimeBatch{Index: i, N: n, Sets: make([]*Regimes, cfg.Batch)}
	for k := range cfg.Batch {
		w.pcg.Seed(streamSeed(seed, domainRegimes, uint64(i)*uint64(cfg.Batch)+uint64(k)))
		b.Sets[k] = w.regimes(cfg.Prior, n)
	}
	return b
}

// drawNodes draws N in [lo, hi] with probability proportional to N^−alpha;
// alpha = 0 is the uniform draw (one IntN, as before the exponent existed).
func drawNodes(rng *rand.Rand, lo, hi int, alpha float64) int {
	if hi <= lo {
		return lo
	}
	if alpha == 0 {
		return lo + rng.IntN(hi-lo+1)
	}
	total := 0.0
	for n := lo; n <= hi; n++ {
		total += math.Pow(float64(n), -alpha)
	}
	u := rng.Float64() * total
	for n := lo; n < hi; n++ {
		if u -= math.Pow(float64(n), -alpha); u < 0 {
			return n
		}
	}
	return hi
}

// Next returns the next batch in order, waiting for it if needed.
func (s *RegimeStream) Next() (*RegimeBatch, error) {
	b, ok := s.gen.take()
	if !ok {
		return nil, ErrClosed
	}
	return b, nil
}

// Close stops the workers; Next then returns ErrClosed. It is idempotent.
func (s *RegimeStream) Close() { s.gen.close() }
