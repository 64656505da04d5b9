package scm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPriorsAcyclicAndOriented checks, for every prior, that each graph is
// a DAG whose edges all point forward in Order, that Order is a permutation
// (labels are not topological), that Adjacency, Parents and Edges agree, and
// that the edge count matches the prior's expectation.
func TestPriorsAcyclicAndOriented(t *testing.T) {
	tests := []struct {
		name      string
		prior     Prior
		p, k      float64
		n         int
		wantEdges func(n int) float64 // expected edges per graph
	}{
		{"notebook p=0.3 N=20", PriorNotebook, 0.3, 0, 20, func(n int) float64 { return 0.3 * float64(n*(n-1)/2) }},
		{"notebook p=0 N=10", PriorNotebook, 0, 0, 10, func(int) float64 { return 0 }},
		{"notebook p=1 N=10", PriorNotebook, 1, 0, 10, func(n int) float64 { return float64(n * (n - 1) / 2) }},
		{"er k=2 N=50", PriorER, 0, 2, 50, func(n int) float64 { return 2 * float64(n) }},
		{"er k=1.5 N=8", PriorER, 0, 1.5, 8, func(n int) float64 { return 1.5 * float64(n) }},
		{"sf k=2 N=50", PriorSF, 0, 2, 50, func(n int) float64 { return 2*float64(n-1) - 1 }}, // min(2, t) parents for t = 1..N−1
		{"sf k=1.5 N=30", PriorSF, 0, 1.5, 30, func(n int) float64 { return 1 + 1.5*float64(n-2) }},
	}
	const graphs = 200
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Prior, cfg.EdgeProb, cfg.Degree, cfg.Nodes = tc.prior, tc.p, tc.k, tc.n
			r := rand.New(rand.NewPCG(11, 12))
			total, identity := 0, 0
			for range graphs {
				g, err := NewGraph(cfg, r)
				if err != nil {
					t.Fatal(err)
				}
				n := g.N
				perm := slices.Clone(g.Order)
				slices.Sort(perm)
				for i, v := range perm {
					if v != i {
						t.Fatalf("Order %v is not a permutation of 0..%d", g.Order, n-1)
					}
				}
				if slices.IsSorted(g.Order) {
					identity++
				}
				pos := make([]int, n)
				for i, v := range g.Order {
					pos[v] = i
				}
				adj := g.Adjacency()
				edges := 0
				for j, ps := range g.Parents {
					if len(g.Mechanisms[j]) != len(ps) || len(g.Weights[j]) != len(ps) {
						t.Fatalf("node %d: %d parents, %d mechanisms, %d weights", j, len(ps), len(g.Mechanisms[j]), len(g.Weights[j]))
					}
					for e, p := range ps {
						if pos[p] >= pos[j] {
							t.Fatalf("edge %d→%d points backward in Order %v", p, j, g.Order)
						}
						if adj[p*n+j] != 1 {
							t.Fatalf("edge %d→%d missing from Adjacency", p, j)
						}
						if g.Weights[j][e] != 1 {
							t.Fatalf("weight %v without Config.Weights", g.Weights[j][e])
						}
						edges++
					}
				}
				ones := 0
				for i, a := range adj {
					if a == 1 {
						ones++
					}
					if i/n == i%n && a != 0 {
						t.Fatalf("self-loop on %d", i/n)
					}
				}
				if ones != edges || len(g.Edges()) != edges || g.NumEdges() != edges {
					t.Fatalf("adjacency has %d ones, Edges %d, NumEdges %d, Parents %d", ones, len(g.Edges()), g.NumEdges(), edges)
				}
				if _, ok := topoSort(n, adj); !ok {
					t.Fatal("graph has a cycle")
				}
				total += edges
			}
			if tc.n >= 8 && identity > graphs/100 {
				t.Errorf("%d of %d orders are the identity: labels look topological", identity, graphs)
			}
			// The mean edge count is within 5 standard errors of its
			// expectation (each graph's count has variance ≤ its mean for
			// the Bernoulli priors; the sf count is nearly fixed).
			mean, want := float64(total)/graphs, tc.wantEdges(tc.n)
			if tol := 5*math.Sqrt(want/graphs) + 0.5; math.Abs(mean-want) > tol {
				t.Errorf("mean edges %.2f, want %.2f ± %.2f", mean, want, tol)
			}
		})
	}
}

// TestScaleFreeHubs checks that the sf prior concentrates children on a few
// nodes (its max out-degree far exceeds er's at the same mean degree).
func TestScaleFreeHubs(t *testing.T) {
	maxOut := func(prior Prior) float64 {
		cfg := DefaultConfig()
		cfg.Prior, cfg.Degree, cfg.Nodes = prior, 2, 100
		r := rand.New(rand.NewPCG(5, 5))
		sum := 0
		for range 50 {
			g, _ := NewGraph(cfg, r)
			out := make([]int, g.N)
			for _, ps := range g.Parents {
				for _, p := range ps {
					out[p]++
				}
			}
			sum += slices.Max(out)
		}
		return float64(sum) / 50
	}
	sf, er := maxOut(PriorSF), maxOut(PriorER)
	if sf < 1.5*er {
		t.Errorf("mean max out-degree: sf %.1f, er %.1f; want sf ≥ 1.5·er", sf, er)
	}
}

func TestWeights(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Weights = true
	g, err := NewGraph(cfg, rand.New(rand.NewPCG(3, 3)))
	if err != nil {
		t.Fatal(err)
	}
	neg := 0
	for _, e := range g.Edges() {
		if a := math.Abs(e.Weight); a < 0.5 || a > 2 {
			t.Errorf("weight %v outside ±[0.5, 2]", e.Weight)
		}
		if e.Weight < 0 {
			neg++
		}
	}
	if n := g.NumEdges(); neg == 0 || neg == n {
		t.Errorf("%d of %d weights negative: signs are not random", neg, n)
	}
}

func TestDescendants(t *testing.T) {
	// 0 → 1 → 2, 0 → 3, 4 isolated, 5 → 2.
	g := makeGraph(t, 6,
		Edge{From: 0, To: 1, Mechanism: Linear}, Edge{From: 1, To: 2, Mechanism: Sin},
		Edge{From: 0, To: 3, Mechanism: Cos}, Edge{From: 5, To: 2, Mechanism: Exp})
	tests := []struct {
		k    int
		want []int
	}{
		{0, []int{1, 2, 3}}, {1, []int{2}}, {2, nil}, {3, nil}, {4, nil}, {5, []int{2}},
	}
	for _, tc := range tests {
		if got := g.Descendants(tc.k); !slices.Equal(got, tc.want) {
			t.Errorf("Descendants(%d) = %v, want %v", tc.k, got, tc.want)
		}
	}
}

func TestNewGraphRejectsInvalidConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes = 1
	if _, err := NewGraph(cfg, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("NewGraph accepted 1 node")
	}
}
