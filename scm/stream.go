package scm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"causeway/contract"
)

// Batch is B episodes with the same N, stacked in the layout of the tensor
// contract (row-major float32).
type Batch struct {
	// Index is the batch's position in its stream (0, 1, 2, ...).
	Index int
	// Pairs holds B episodes of S samples over N nodes: base_samples,
	// int_samples, target_row and int_mask.
	contract.Pairs
	// Delta is the delta target [B*N].
	Delta []float32
	// Adj holds the true adjacencies [B*N*N], [b*N*N+i*N+j] = 1 for i → j.
	Adj []float32
	// Nodes and Values are each element's intervention do(X_node = value).
	Nodes  []int
	Values []float64
	// BaseRows and IntRows are each element's paired rows (see Episode).
	BaseRows, IntRows []int
}

// newBatch allocates a batch of b elements with s samples over n nodes.
func newBatch(index, b, s, n int) *Batch {
	return &Batch{
		Index: index, Pairs: contract.Pairs{B: b, S: s, N: n,
			Base: make([]float32, b*s*n), Int: make([]float32, b*s*n),
			Target: make([]float32, b*n), Mask: make([]float32, b*n)},
		Delta: make([]float32, b*n),
		Adj:   make([]float32, b*n*n),
		Nodes: make([]int, b), Values: make([]float64, b),
		BaseRows: make([]int, b), IntRows: make([]int, b),
	}
}

// Episode returns element i as an Episode whose slices alias the batch's.
func (b *Batch) Episode(i int) *Episode {
	sn, n, nn := b.S*b.N, b.N, b.N*b.N
	return &Episode{
		N: b.N, S: b.S,
		Base: b.Base[i*sn : (i+1)*sn : (i+1)*sn], Int: b.Int[i*sn : (i+1)*sn : (i+1)*sn],
		Target: b.Target[i*n : (i+1)*n : (i+1)*n], Mask: b.Mask[i*n : (i+1)*n : (i+1)*n],
		Delta: b.Delta[i*n : (i+1)*n : (i+1)*n], Adj: b.Adj[i*nn : (i+1)*nn : (i+1)*nn],
		Node: b.Nodes[i], Value: b.Values[i], BaseRow: b.BaseRows[i], IntRow: b.IntRows[i],
	}
}

// Head returns the first k elements of b as a batch whose slices alias b's.
func (b *Batch) Head(k int) *Batch {
	if k < 0 || k > b.B {
		panic(fmt.Sprintf("scm: Batch.Head(%d) of a batch of %d", k, b.B))
	}
	sn, n, nn := b.S*b.N, b.N, b.N*b.N
	return &Batch{
		Index: b.Index, Pairs: contract.Pairs{B: k, S: b.S, N: b.N,
			Base: b.Base[: k*sn : k*sn], Int: b.Int[: k*sn : k*sn],
			Target: b.Target[: k*n : k*n], Mask: b.Mask[: k*n : k*n]},
		Delta: b.Delta[: k*n : k*n],
		Adj:   b.Adj[: k*nn : k*nn],
		Nodes: b.Nodes[:k:k], Values: b.Values[:k:k],
		BaseRows: b.BaseRows[:k:k], IntRows: b.IntRows[:k:k],
	}
}

// StreamConfig configures a Stream. Zero fields take the defaults named.
type StreamConfig struct {
	// SCM configures every element; its Nodes is the default node range,
	// and its InterventionFrac is unused (each element has one intervention).
	SCM Config
	// Batch is the number of episodes per batch (default 32).
	Batch int
	// MinNodes and MaxNodes bound N, drawn uniformly per batch (default
	// SCM.Nodes for both).
	MinNodes, MaxNodes int
	// Workers is the number of generating goroutines (default GOMAXPROCS).
	// It changes the speed, never the batches.
	Workers int
	// Queue bounds the batches generated ahead of Next (default 2·Workers).
	Queue int
	// Start is the index of the first batch Next returns (default 0). Batch
	// i depends only on (seed, i), so a run resumed with Start = i sees the
	// same batches as one that never stopped.
	Start int
}

// withDefaults fills the zero fields and checks the result.
func (c StreamConfig) withDefaults() (StreamConfig, error) {
	if c.Batch == 0 {
		c.Batch = 32
	}
	if c.MinNodes == 0 && c.MaxNodes == 0 {
		c.MinNodes, c.MaxNodes = c.SCM.Nodes, c.SCM.Nodes
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.Queue == 0 {
		c.Queue = 2 * c.Workers
	}
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if c.Batch < 1 {
		bad("batch must be at least 1, got %d", c.Batch)
	}
	if c.MinNodes < 2 || c.MaxNodes < c.MinNodes {
		bad("node range must satisfy 2 ≤ min ≤ max, got %d–%d", c.MinNodes, c.MaxNodes)
	}
	if c.Workers < 1 || c.Queue < 1 {
		bad("workers and queue must be at least 1, got %d and %d", c.Workers, c.Queue)
	}
	if c.Start < 0 {
		bad("start must be ≥ 0, got %d", c.Start)
	}
	if len(errs) == 0 {
		// The smallest N binds: the er prior's edge probability is largest there.
		scm := c.SCM
		scm.Nodes = c.MinNodes
		if err := scm.Validate(); err != nil {
			return c, fmt.Errorf("scm stream: %w", err)
		}
	}
	if len(errs) > 0 {
		return c, errors.New("scm stream: " + strings.Join(errs, "; "))
	}
	return c, nil
}

// ErrClosed is returned by Next after Close.
var ErrClosed = errors.New("scm: stream closed")

// Stream yields an endless sequence of training batches. Every element is a
// fresh (graph, intervention) pair; batch i has one N, drawn from the node
// range with the random stream (seed, i), and its element k is drawn from the
// random stream (seed, i·Batch+k), so a seed fixes every batch whatever the
// number of workers. Batches are generated ahead by a pool of goroutines
// into a bounded queue and returned in order.
type Stream struct {
	cfg  StreamConfig
	seed uint64
	gen  *ordered[*Batch]
}

// NewStream starts the workers of a stream seeded by seed. Call Close to stop
// them.
func NewStream(cfg StreamConfig, seed uint64) (*Stream, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Stream{cfg: cfg, seed: seed}
	s.gen = newOrdered(cfg.Workers, cfg.Queue, cfg.Start, func(w *worker, i int) *Batch { return w.batch(cfg, seed, i) })
	return s, nil
}

// Config returns the stream's configuration with its defaults filled in.
func (s *Stream) Config() StreamConfig { return s.cfg }

// batch generates batch i of the stream seeded by seed.
func (w *worker) batch(cfg StreamConfig, seed uint64, i int) *Batch {
	n := cfg.MinNodes
	if cfg.MaxNodes > cfg.MinNodes {
		n += newRand(seed, domainNodes, uint64(i)).IntN(cfg.MaxNodes - cfg.MinNodes + 1)
	}
	b := newBatch(i, cfg.Batch, cfg.SCM.Samples, n)
	for k := range cfg.Batch {
		w.pcg.Seed(streamSeed(seed, domainElement, uint64(i)*uint64(cfg.Batch)+uint64(k)))
		ep := b.Episode(k)
		w.episode(cfg.SCM, n, ep)
		b.Nodes[k], b.Values[k] = ep.Node, ep.Value
		b.BaseRows[k], b.IntRows[k] = ep.BaseRow, ep.IntRow
	}
	return b
}

// Next returns the next batch in order, waiting for it if needed. It is safe
// for concurrent use (each batch is returned once).
func (s *Stream) Next() (*Batch, error) {
	b, ok := s.gen.take()
	if !ok {
		return nil, ErrClosed
	}
	return b, nil
}

// Close stops the workers and waits for them; Next then returns ErrClosed.
// Close is idempotent.
func (s *Stream) Close() { s.gen.close() }

// HeldOut returns count batches for validation, generated in parallel by
// cfg.Workers goroutines and fully determined by (cfg, seed). They come from a
// random stream separate from NewStream's, so held-out batches never repeat
// training batches even when both use the same seed. cfg.Start and cfg.Queue
// are not used: the batches are 0..count−1 of the held-out stream.
func HeldOut(cfg StreamConfig, count int, seed uint64) ([]*Batch, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if count < 0 {
		return nil, fmt.Errorf("scm held-out: count must be ≥ 0, got %d", count)
	}
	seed = mix(seed ^ mix(domainHeldOut))
	out := make([]*Batch, count)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(cfg.Workers, count) {
		wg.Go(func() {
			var w worker
			w.rng = rand.New(&w.pcg)
			for i := int(next.Add(1) - 1); i < count; i = int(next.Add(1) - 1) {
				out[i] = w.batch(cfg, seed, i)
			}
		})
	}
	wg.Wait()
	return out, nil
}
