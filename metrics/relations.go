package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Relations are the kinds of non-edge a pair (i, j) with no edge i → j can
// be, by the true graph, in the order Relation reports them.
var Relations = []string{"reverse", "ancestor", "descendant", "common_cause", "unrelated"}

// Relation returns the kind of the ordered pair (i, j), i ≠ j, in the DAG
// adj [n*n] with its reachability reach [n*n] (Reachability): "edge" for
// i → j, else one of Relations: j → i ("reverse"), a longer directed path
// i ⇝ j ("ancestor") or j ⇝ i ("descendant"), a shared ancestor
// ("common_cause"), or none of these ("unrelated").
func Relation(adj, reach []float32, n, i, j int) string {
	switch {
	case adj[i*n+j] == 1:
		return "edge"
	case adj[j*n+i] == 1:
		return "reverse"
	case reach[i*n+j] == 1:
		return "ancestor"
	case reach[j*n+i] == 1:
		return "descendant"
	}
	for k := range n {
		if reach[k*n+i] == 1 && reach[k*n+j] == 1 {
			return "common_cause"
		}
	}
	return "unrelated"
}

// Reachability returns reach [n*n] with reach[i*n+j] = 1 when a directed
// path of one or more edges leads from i to j in adj.
func Reachability(adj []float32, n int) []float32 {
	reach := append([]float32(nil), adj...)
	for k := range n {
		for i := range n {
			if reach[i*n+k] != 1 {
				continue
			}
			for j := range n {
				if reach[k*n+j] == 1 {
					reach[i*n+j] = 1
				}
			}
		}
	}
	return reach
}

// RelationScore is how a structure predictor ranks one kind of non-edge.
type RelationScore struct {
	// Relation is one of Relations.
	Relation string `json:"relation"`
	// Pairs is the number of such pairs.
	Pairs int `json:"pairs"`
	// MeanProbability is their mean predicted edge probability.
	MeanProbability float64 `json:"mean_probability"`
	// AUROCLoss is their part of 1 − AUROC: the share of all (edge,
	// non-edge) pairs in which one of these non-edges scores above the edge
	// (a tie counts half). The losses of all relations sum to 1 − AUROC.
	AUROCLoss float64 `json:"auroc_loss"`
}

// RelationAccumulator pools edge probabilities over graphs to say which
// kinds of non-edge a predictor confuses with edges (Relations), with the
// same pooling as Accumulator's AUROC.
type RelationAccumulator struct {
	edges []float64
	other map[string][]float64
}

// Add records one graph: probs and its true DAG adj, both [n*n].
func (a *RelationAccumulator) Add(probs, adj []float32, n int) error {
	if len(probs) != n*n || len(adj) != n*n {
		return fmt.Errorf("metrics: relations of %d probabilities and %d adjacency values for N = %d", len(probs), len(adj), n)
	}
	if a.other == nil {
		a.other = map[string][]float64{}
	}
	reach := Reachability(adj, n)
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			p := float64(probs[i*n+j])
			if r := Relation(adj, reach, n, i, j); r == "edge" {
				a.edges = append(a.edges, p)
			} else {
				a.other[r] = append(a.other[r], p)
			}
		}
	}
	return nil
}

// Report returns one RelationScore per relation that occurred, in the order
// of Relations (nil without edges or non-edges).
func (a *RelationAccumulator) Report() []RelationScore {
	negatives := 0
	for _, v := range a.other {
		negatives += len(v)
	}
	if len(a.edges) == 0 || negatives == 0 {
		return nil
	}
	edges := append([]float64(nil), a.edges...)
	sort.Float64s(edges)
	total := float64(len(edges)) * float64(negatives)
	var out []RelationScore
	for _, r := range Relations {
		ps := a.other[r]
		if len(ps) == 0 {
			continue
		}
		s := RelationScore{Relation: r, Pairs: len(ps)}
		var above float64
		for _, p := range ps {
			s.MeanProbability += p
			below := sort.SearchFloat64s(edges, p)                                     // edges < p
			ties := sort.SearchFloat64s(edges, math.Nextafter(p, math.Inf(1))) - below // edges == p
			above += float64(below) + 0.5*float64(ties)
		}
		s.MeanProbability /= float64(len(ps))
		s.AUROCLoss = above / total
		out = append(out, s)
	}
	return out
}
