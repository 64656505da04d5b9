package scm

import (
	"fmt"
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
	// MinNodes and MaxNodes bound N, drawn uniformly per batch.
	MinNodes, MaxNodes int
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
	if cfg.Batch < 1 || cfg.MinNodes < 2 || cfg.MaxNodes < cfg.MinNodes || cfg.Start < 0 || cfg.Workers < 0 {
		return nil, fmt.Errorf("scm regime stream: want batch ≥ 1, 2 ≤ min nodes ≤ max nodes, start ≥ 0, workers ≥ 0; got batch %d, nodes %d–%d, start %d, workers %d",
			cfg.Batch, cfg.MinNodes, cfg.MaxNodes, cfg.Start, cfg.Workers)
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
	n := cfg.MinNodes
	if cfg.MaxNodes > cfg.MinNodes {
		n += newRand(seed, domainRegimeNodes, uint64(i)).IntN(cfg.MaxNodes - cfg.MinNodes + 1)
	}
	b := &RegimeBatch{Index: i, N: n, Sets: make([]*Regimes, cfg.Batch)}
	for k := range cfg.Batch {
		w.pcg.Seed(streamSeed(seed, domainRegimes, uint64(i)*uint64(cfg.Batch)+uint64(k)))
		b.Sets[k] = w.regimes(cfg.Prior, n)
	}
	return b
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
