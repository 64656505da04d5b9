package scm

import (
	"math"
	"slices"
	"testing"
)

// makeGraph builds a graph from explicit edges (weight 0 means 1), with a
// topological order found by Kahn's algorithm; it fails the test on a cycle.
func makeGraph(t testing.TB, n int, edges ...Edge) *Graph {
	t.Helper()
	g := &Graph{N: n, Parents: make([][]int, n), Mechanisms: make([][]Mechanism, n), Weights: make([][]float64, n),
		Noise: NoiseGaussian, NoiseScale: 1}
	for _, e := range edges {
		w := e.Weight
		if w == 0 {
			w = 1
		}
		g.Parents[e.To] = append(g.Parents[e.To], e.From)
		g.Mechanisms[e.To] = append(g.Mechanisms[e.To], e.Mechanism)
		g.Weights[e.To] = append(g.Weights[e.To], w)
	}
	order, ok := topoSort(n, g.Adjacency())
	if !ok {
		t.Fatalf("makeGraph: edges %v have a cycle", edges)
	}
	g.Order = order
	g.planSharing()
	return g
}

// topoSort runs Kahn's algorithm on a row-major adjacency matrix and reports
// whether every node was ordered (the graph is acyclic).
func topoSort(n int, adj []float32) ([]int, bool) {
	indeg := make([]int, n)
	for i := range n {
		for j := range n {
			if adj[i*n+j] != 0 {
				indeg[j]++
			}
		}
	}
	var queue, order []int
	for j := range n {
		if indeg[j] == 0 {
			queue = append(queue, j)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		order = append(order, i)
		for j := range n {
			if adj[i*n+j] != 0 {
				if indeg[j]--; indeg[j] == 0 {
					queue = append(queue, j)
				}
			}
		}
	}
	return order, len(order) == n
}

// descendantsFromAdj returns the descendant mask of k (k included) by a
// depth-first search on the adjacency matrix, independent of Graph.
func descendantsFromAdj(n int, adj []float32, k int) []bool {
	seen := make([]bool, n)
	stack := []int{k}
	seen[k] = true
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for j := range n {
			if adj[i*n+j] != 0 && !seen[j] {
				seen[j] = true
				stack = append(stack, j)
			}
		}
	}
	return seen
}

// column returns column j of a row-major [rows*n] matrix as float64s.
func column(m []float32, n, j int) []float64 {
	out := make([]float64, 0, len(m)/n)
	for i := j; i < len(m); i += n {
		out = append(out, float64(m[i]))
	}
	return out
}

// ksStat is the two-sample Kolmogorov–Smirnov statistic sup|F_a − F_b|.
func ksStat(a, b []float64) float64 {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	var i, j int
	d := 0.0
	for i < len(a) && j < len(b) {
		x := min(a[i], b[j])
		for i < len(a) && a[i] == x {
			i++
		}
		for j < len(b) && b[j] == x {
			j++
		}
		d = max(d, math.Abs(float64(i)/float64(len(a))-float64(j)/float64(len(b))))
	}
	return d
}

// ksCritical is the asymptotic critical value of ksStat at level alpha for
// samples of sizes n and m: c(α)·sqrt((n+m)/(n·m)), c(α) = sqrt(−ln(α/2)/2).
func ksCritical(alpha float64, n, m int) float64 {
	return math.Sqrt(-math.Log(alpha/2)/2) * math.Sqrt(float64(n+m)/float64(n*m))
}
