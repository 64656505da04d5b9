package scm

import (
	"fmt"
	"math/rand/v2"
)

// Episode is one training element of the tensor contract: a fresh graph, S
// observational (base) samples, S samples under one hard intervention, a
// target row and its delta. All matrices are row-major float32.
type Episode struct {
	// N is the number of nodes and S the samples per set.
	N, S int
	// Base holds the observational samples [S*N] (base_samples).
	Base []float32
	// Int holds the samples under do(X_Node = Value) [S*N] (int_samples).
	Int []float32
	// Target is the row whose shift is predicted [N] (target_row): base row
	// BaseRow.
	Target []float32
	// Mask is 1 at Node and 0 elsewhere [N] (int_mask).
	Mask []float32
	// Delta is Int row IntRow minus Target [N] (delta). With the
	// counterfactual pairing Int row IntRow shares Target's exogenous noise,
	// so Delta is 0 exactly on the nodes that are not descendants of Node.
	Delta []float32
	// Adj is the true adjacency [N*N], [i*N+j] = 1 for the edge i → j.
	Adj []float32
	// Node and Value are the intervention do(X_Node = Value); Value is the
	// raw value even when the data are standardised.
	Node  int
	Value float64
	// BaseRow and IntRow index the paired rows in Base and Int.
	BaseRow, IntRow int
}

// NewEpisode draws one episode with cfg.Nodes nodes: a fresh graph, a uniform
// intervened node and value, base and interventional sets of cfg.Samples rows
// and a target row paired by cfg.Pairing. The result depends only on (cfg,
// seed).
func NewEpisode(cfg Config, seed uint64) (*Episode, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n, s := cfg.Nodes, cfg.Samples
	ep := &Episode{
		Base: make([]float32, s*n), Int: make([]float32, s*n),
		Target: make([]float32, n), Mask: make([]float32, n), Delta: make([]float32, n),
		Adj: make([]float32, n*n),
	}
	var w worker
	w.rng = rand.New(&w.pcg)
	w.pcg.Seed(streamSeed(seed, domainEpisode, 0))
	w.episode(cfg, n, ep)
	return ep, nil
}

// worker holds one goroutine's random stream and scratch space, so that
// generating an episode allocates only its graph.
type worker struct {
	pcg    rand.PCG
	rng    *rand.Rand
	xb, xi []float64 // column-major base and interventional values
	cache  []float64 // shared terms, see Graph.simulate
	z      standardizer
}

// episode fills ep (whose slices have the sizes of cfg.Samples and n) with a
// fresh episode drawn from w.rng.
func (w *worker) episode(cfg Config, n int, ep *Episode) {
	r := w.rng
	s := cfg.Samples
	g := newGraph(cfg, n, r)
	node := r.IntN(n)
	value := cfg.Values[r.IntN(len(cfg.Values))]
	b, j := r.IntN(s), r.IntN(s)

	w.xb = resize(w.xb, n*s)
	w.xi = resize(w.xi, n*s)
	g.noise(w.xb, s, &w.pcg)
	g.noise(w.xi, s, &w.pcg)
	if cfg.Pairing == PairingCounterfactual {
		for v := range n {
			w.xi[v*s+j] = w.xb[v*s+b]
		}
	}
	w.cache = resize(w.cache, g.slots*s)
	g.simulate(w.xb, s, -1, 0, w.cache)
	g.simulate(w.xi, s, node, value, w.cache)
	if cfg.Standardize {
		w.z.fit(w.xb, n, s)
		w.z.apply(w.xb, n, s)
		w.z.apply(w.xi, n, s)
	}
	transpose(ep.Base, w.xb, n, s)
	transpose(ep.Int, w.xi, n, s)

	ep.N, ep.S = n, s
	ep.Node, ep.Value = node, value
	ep.BaseRow, ep.IntRow = b, j
	copy(ep.Target, ep.Base[b*n:(b+1)*n])
	for v := range n {
		ep.Delta[v] = ep.Int[j*n+v] - ep.Target[v]
		ep.Mask[v] = 0
	}
	ep.Mask[node] = 1
	g.fillAdjacency(ep.Adj)
}

// String summarises the episode's shape and intervention.
func (ep *Episode) String() string {
	return fmt.Sprintf("episode N=%d S=%d do(x%d=%g)", ep.N, ep.S, ep.Node, ep.Value)
}
