package scm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Graph is one random SCM: a DAG over the nodes 0..N−1 with a mechanism (and
// weight) per edge and the law of each node's exogenous noise. A node's value
// is the sum over its parents p of Weights·Mechanism(x_p), plus its noise,
// clipped to [−Clip, Clip] (roots keep their noise unclipped, as in the
// notebook). A Graph is read-only once made.
type Graph struct {
	// N is the number of nodes.
	N int
	// Order is a topological order: every edge goes from an earlier to a
	// later node of Order. It is a random permutation of 0..N−1.
	Order []int
	// Parents[j] lists the parents of node j.
	Parents [][]int
	// Mechanisms[j][k] is the mechanism of the edge Parents[j][k] → j.
	Mechanisms [][]Mechanism
	// Weights[j][k] multiplies that edge's term (1 unless Config.Weights).
	Weights [][]float64
	// Noise is the noise law and NoiseScale its standard deviation.
	Noise      string
	NoiseScale float64

	// share, fills and slots plan the sharing of expensive terms between
	// the children of a parent (see planSharing); nil share computes every
	// edge directly. They follow Parents and Mechanisms, which must
	// therefore not change after NewGraph.
	share [][]int32
	fills [][]fill
	slots int
}

// Edge is one edge of a Graph.
type Edge struct {
	From, To  int
	Mechanism Mechanism
	Weight    float64
}

// Intervention is the hard intervention do(X_Node = Value).
type Intervention struct {
	Node  int
	Value float64
}

// NewGraph draws a graph with cfg.Nodes nodes from cfg's prior, with random
// mechanisms (and weights when cfg.Weights), using r.
func NewGraph(cfg Config, r *rand.Rand) (*Graph, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return newGraph(cfg, cfg.Nodes, r), nil
}

// newGraph draws a graph with n nodes; cfg must be valid for n.
func newGraph(cfg Config, n int, r *rand.Rand) *Graph {
	order := r.Perm(n)
	var f forward
	switch cfg.Prior {
	case PriorNotebook:
		f = bernoulliParents(n, cfg.EdgeProb, r)
	case PriorER:
		f = bernoulliParents(n, min(1, 2*cfg.Degree/float64(n-1)), r)
	case PriorSF:
		f = scaleFreeParents(n, cfg.Degree, r)
	default:
		panic(fmt.Sprintf("scm: unknown prior %q", cfg.Prior))
	}
	edges := len(f.pos)
	g := &Graph{
		N:          n,
		Order:      order,
		Parents:    make([][]int, n),
		Mechanisms: make([][]Mechanism, n),
		Weights:    make([][]float64, n),
		Noise:      cfg.Noise,
		NoiseScale: cfg.NoiseScale,
	}
	parents := f.pos // relabelled in place: position → node
	mechs := make([]Mechanism, edges)
	weights := make([]float64, edges)
	off := 0
	for j, end := range f.ends {
		child := order[j]
		g.Parents[child] = parents[off:end:end]
		g.Mechanisms[child] = mechs[off:end:end]
		g.Weights[child] = weights[off:end:end]
		for e := off; e < end; e++ {
			parents[e] = order[parents[e]]
			mechs[e] = Mechanism(r.IntN(int(numMechanisms)))
			w := 1.0
			if cfg.Weights {
				w = 0.5 + 1.5*r.Float64()
				if r.IntN(2) == 0 {
					w = -w
				}
			}
			weights[e] = w
		}
		off = end
	}
	g.planSharing()
	return g
}

// forward lists a prior's edges by topological position: the parent
// positions of child position j are pos[ends[j−1]:ends[j]] (ends[−1] = 0).
type forward struct {
	pos  []int
	ends []int
}

// bernoulliParents makes each forward pair (i < j) of positions an edge with
// probability p.
func bernoulliParents(n int, p float64, r *rand.Rand) forward {
	f := forward{
		pos:  make([]int, 0, int(1.2*p*float64(n*(n-1)/2))+8),
		ends: make([]int, n),
	}
	for j := 1; j < n; j++ {
		for i := range j {
			if r.Float64() < p {
				f.pos = append(f.pos, i)
			}
		}
		f.ends[j] = len(f.pos)
	}
	return f
}

// scaleFreeParents gives the node at position t floor(k) or ceil(k) parents
// (expected k, at most t) among positions < t, drawn without replacement with
// probability proportional to their degree plus one.
func scaleFreeParents(n int, k float64, r *rand.Rand) forward {
	f := forward{pos: make([]int, 0, int(k+1)*n), ends: make([]int, n)}
	deg := make([]float64, n)
	whole, frac := math.Modf(k)
	for t := 1; t < n; t++ {
		m := int(whole)
		if r.Float64() < frac {
			m++
		}
		m = min(m, t)
		total := 0.0
		for i := range t {
			total += deg[i] + 1
		}
		start := len(f.pos)
		for range m {
			u := r.Float64() * total
			pick := -1
			for i := range t {
				if slices.Contains(f.pos[start:], i) {
					continue
				}
				u -= deg[i] + 1
				pick = i
				if u < 0 {
					break
				}
			}
			f.pos = append(f.pos, pick)
			total -= deg[pick] + 1
		}
		ps := f.pos[start:]
		slices.Sort(ps)
		for _, i := range ps {
			deg[i]++
		}
		deg[t] += float64(len(ps))
		f.ends[t] = len(f.pos)
	}
	return f
}

// NumEdges returns the number of edges.
func (g *Graph) NumEdges() int {
	e := 0
	for _, ps := range g.Parents {
		e += len(ps)
	}
	return e
}

// Edges lists the edges sorted by (From, To).
func (g *Graph) Edges() []Edge {
	out := make([]Edge, 0, g.NumEdges())
	for j, ps := range g.Parents {
		for k, p := range ps {
			out = append(out, Edge{From: p, To: j, Mechanism: g.Mechanisms[j][k], Weight: g.Weights[j][k]})
		}
	}
	slices.SortFunc(out, func(a, b Edge) int {
		if a.From != b.From {
			return a.From - b.From
		}
		return a.To - b.To
	})
	return out
}

// Adjacency returns the N×N adjacency matrix, row-major: [i*N+j] is 1 for the
// edge i → j (parent row, child column, as networkx to_numpy_array) and 0
// otherwise.
func (g *Graph) Adjacency() []float32 {
	a := make([]float32, g.N*g.N)
	g.fillAdjacency(a)
	return a
}

func (g *Graph) fillAdjacency(a []float32) {
	clear(a)
	for j, ps := range g.Parents {
		for _, p := range ps {
			a[p*g.N+j] = 1
		}
	}
}

// Descendants returns the nodes reachable from k by a directed path (k
// itself excluded), in ascending order: the nodes do(X_k = v) can change.
func (g *Graph) Descendants(k int) []int {
	desc := g.descendantMask(k, nil)
	var out []int
	for j, d := range desc {
		if d && j != k {
			out = append(out, j)
		}
	}
	return out
}

// descendantMask marks k and its descendants in dst (reallocated if short).
func (g *Graph) descendantMask(k int, dst []bool) []bool {
	if cap(dst) < g.N {
		dst = make([]bool, g.N)
	}
	dst = dst[:g.N]
	clear(dst)
	dst[k] = true
	for _, j := range g.Order {
		if dst[j] {
			continue
		}
		for _, p := range g.Parents[j] {
			if dst[p] {
				dst[j] = true
				break
			}
		}
	}
	return dst
}
