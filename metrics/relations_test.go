package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// A DAG of five variables: 0 → 1 → 2, 0 → 3, and 4 alone.
var relationDAG = func() []float32 {
	adj := make([]float32, 25)
	for _, e := range [][2]int{{0, 1}, {1, 2}, {0, 3}} {
		adj[e[0]*5+e[1]] = 1
	}
	return adj
}()

func TestRelation(t *testing.T) {
	reach := Reachability(relationDAG, 5)
	cases := []struct {
		i, j int
		want string
	}{
		{0, 1, "edge"}, {1, 0, "reverse"}, {0, 2, "ancestor"}, {2, 0, "descendant"},
		{1, 3, "common_cause"}, {2, 3, "common_cause"}, {4, 0, "unrelated"}, {3, 4, "unrelated"},
	}
	for _, tc := range cases {
		if got := Relation(relationDAG, reach, 5, tc.i, tc.j); got != tc.want {
			t.Errorf("(%d, %d): %s, want %s", tc.i, tc.j, got, tc.want)
		}
	}
}

// TestRelationLossesSumToAUROC: over random scores (with ties), the
// relations' AUROC losses add up to 1 − AUROC of the same pooled pairs.
func TestRelationLossesSumToAUROC(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var a RelationAccumulator
	var scores []float32
	var labels []bool
	for range 4 {
		probs := make([]float32, 25)
		for k := range probs {
			probs[k] = float32(rng.IntN(6)) / 5 // ties on purpose
			if k%6 != 0 {
				scores = append(scores, probs[k])
				labels = append(labels, relationDAG[k] == 1)
			}
		}
		if err := a.Add(probs, relationDAG, 5); err != nil {
			t.Fatal(err)
		}
	}
	auc, ok := AUROC(scores, labels)
	if !ok {
		t.Fatal("no AUROC")
	}
	sum, pairs := 0.0, 0
	for _, r := range a.Report() {
		sum += r.AUROCLoss
		pairs += r.Pairs
	}
	if math.Abs(sum-(1-auc)) > 1e-12 || pairs != 4*(20-3) {
		t.Errorf("losses sum to %.6f over %d pairs, 1 − AUROC = %.6f over %d", sum, pairs, 1-auc, 4*17)
	}
	if err := a.Add(make([]float32, 3), relationDAG, 5); err == nil {
		t.Error("a wrong-sized graph was accepted")
	}
}
