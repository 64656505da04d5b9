package metrics

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"sync"
	"testing"
)

// twoGraphs are the 3-node example and a 2-node graph with the edge 1->0
// predicted reversed, with deltas and baselines, scored by hand below.
func twoGraphs() []Prediction {
	return []Prediction{
		{
			N: 3, AdjProbs: probs3, TrueAdj: truth3,
			Delta: []float32{1, 2, 3}, TrueDelta: []float32{1, 1, 1},
			BaselineDelta: []float32{1, 1, 2},
		},
		{
			N: 2, AdjProbs: []float32{0, 0.6, 0.2, 0}, TrueAdj: []float32{0, 0, 1, 0},
			Delta: []float32{0, 0}, TrueDelta: []float32{0.5, -4},
			BaselineDelta: []float32{0.5, -3},
		},
	}
}

func TestAccumulatorByHand(t *testing.T) {
	var acc Accumulator
	for _, p := range twoGraphs() {
		if err := acc.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	r := acc.Report()
	checks := []struct {
		name      string
		got, want float64
	}{
		{"graphs", float64(r.Graphs), 2},
		{"threshold", r.Threshold, 0.5},
		{"true edges", r.TrueEdges, 1.5},
		// Model structure.
		{"SHD", r.Structure.SHD, 1},
		// Pooled positives {.9, .4, .2}, negatives {.2, .1, .3, .7, .6}:
		// 5 + 3 + (1 + 0.5) wins of 15 pairs.
		{"AUROC", r.Structure.AUROC, 9.5 / 15},
		{"AUROC per graph", r.Structure.AUROCPerGraph, (7.0/8 + 0) / 2},
		// Descending: .9+ .7- .6- .4+ .3- {.2+ .2-} .1-.
		{"AUPRC", r.Structure.AUPRC, 1.0/3 + 1.0/3*0.5 + 1.0/3*3.0/7},
		{"AUPRC per graph", r.Structure.AUPRCPerGraph, ((0.5 + 0.5*2.0/3) + 0.5) / 2},
		// Predicted .9+ .7- .6-; missed .4 and .2.
		{"precision", r.Structure.Precision, 1.0 / 3},
		{"recall", r.Structure.Recall, 1.0 / 3},
		{"F1", r.Structure.F1, 1.0 / 3},
		{"edges", r.Structure.Edges, 1.5},
		// Model delta: errors 0, 1, 2, -0.5, 4.
		{"delta MSE", r.Delta.MSE, (0 + 1 + 4 + 0.25 + 16) / 5.0},
		{"delta Huber", r.Delta.Huber, (0 + 0.5 + 1.5 + 0.125 + 3.5) / 5},
		// Empty graph.
		{"empty SHD", r.EmptyGraph.SHD, 1.5},
		{"empty AUROC", r.EmptyGraph.AUROC, 0.5},
		{"empty AUROC per graph", r.EmptyGraph.AUROCPerGraph, 0.5},
		{"empty AUPRC", r.EmptyGraph.AUPRC, 3.0 / 8},
		{"empty AUPRC per graph", r.EmptyGraph.AUPRCPerGraph, (2.0/6 + 1.0/2) / 2},
		{"empty precision", r.EmptyGraph.Precision, 0},
		{"empty recall", r.EmptyGraph.Recall, 0},
		{"empty F1", r.EmptyGraph.F1, 0},
		{"empty edges", r.EmptyGraph.Edges, 0},
		// Mean shift: errors 0, 0, 1, 0, 1.
		{"mean shift MSE", r.MeanShift.MSE, 2.0 / 5},
		{"mean shift Huber", r.MeanShift.Huber, 1.0 / 5},
	}
	for _, c := range checks {
		if !near(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestEmptyGraphMatchesFunctions checks the empty-graph shortcuts against
// the metric functions applied to all-zero probabilities.
func TestEmptyGraphMatchesFunctions(t *testing.T) {
	var acc Accumulator
	var scores []float32
	var labels []bool
	for _, p := range twoGraphs() {
		if err := acc.Add(p); err != nil {
			t.Fatal(err)
		}
		l := OffDiagonal(Threshold(p.TrueAdj, 0.5), p.N)
		labels = append(labels, l...)
		scores = append(scores, make([]float32, len(l))...)
	}
	r := acc.Report()
	auc, _ := AUROC(scores, labels)
	ap, _ := AUPRC(scores, labels)
	p, rec, f1 := F1(scores, labels, EdgeThreshold)
	if !near(r.EmptyGraph.AUROC, auc) || !near(r.EmptyGraph.AUPRC, ap) ||
		!near(r.EmptyGraph.Precision, p) || !near(r.EmptyGraph.Recall, rec) || !near(r.EmptyGraph.F1, f1) {
		t.Errorf("empty graph %+v; functions give AUROC %v AUPRC %v P %v R %v F1 %v", r.EmptyGraph, auc, ap, p, rec, f1)
	}
}

func TestAccumulatorErrors(t *testing.T) {
	good := twoGraphs()[0]
	tests := []struct {
		name string
		edit func(p *Prediction)
		want string
	}{
		{"zero N", func(p *Prediction) { p.N = 0 }, "N = 0"},
		{"short probs", func(p *Prediction) { p.AdjProbs = p.AdjProbs[:8] }, "8 AdjProbs values, want 9"},
		{"short adj", func(p *Prediction) { p.TrueAdj = p.TrueAdj[:4] }, "4 TrueAdj values, want 9"},
		{"short delta", func(p *Prediction) { p.Delta = p.Delta[:2] }, "2 Delta values, want 3"},
		{"short true delta", func(p *Prediction) { p.TrueDelta = nil }, "0 TrueDelta values, want 3"},
		{"short baseline", func(p *Prediction) { p.BaselineDelta = []float32{1} }, "1 BaselineDelta values, want 3"},
		{"logits", func(p *Prediction) { p.AdjProbs = []float32{0, 2.3, -1, 0, 0, 0, 0, 0, 0} }, "not the logits"},
		{"NaN prob", func(p *Prediction) { p.AdjProbs = []float32{0, float32(math.NaN()), 0, 0, 0, 0, 0, 0, 0} }, "AdjProbs[0][1] = NaN"},
		{"soft truth", func(p *Prediction) { p.TrueAdj = []float32{0, 0.7, 0, 0, 0, 0, 0, 0, 0} }, "TrueAdj[0][1] = 0.7, want 0 or 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var acc Accumulator
			p := good
			tc.edit(&p)
			err := acc.Add(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Add error = %v, want one containing %q", err, tc.want)
			}
			if r := acc.Report(); r.Graphs != 0 {
				t.Errorf("failed Add recorded a graph")
			}
		})
	}

	// A diagonal 1 in the truth is ignored, not an error.
	var acc Accumulator
	p := good
	p.TrueAdj = append([]float32{1}, good.TrueAdj[1:]...)
	if err := acc.Add(p); err != nil {
		t.Errorf("diagonal truth entry: %v", err)
	}

	// Mixing predictions with and without a baseline is refused.
	for _, firstHasBase := range []bool{true, false} {
		var acc Accumulator
		a, b := twoGraphs()[0], twoGraphs()[1]
		if firstHasBase {
			b.BaselineDelta = nil
		} else {
			a.BaselineDelta = nil
		}
		if err := acc.Add(a); err != nil {
			t.Fatal(err)
		}
		if err := acc.Add(b); err == nil || !strings.Contains(err.Error(), "all or none") {
			t.Errorf("mixed baseline (first has base %v): error %v", firstHasBase, err)
		}
		if acc.Report().Graphs != 1 {
			t.Errorf("refused Add was recorded")
		}
	}
}

func TestReportUndefined(t *testing.T) {
	tests := []struct {
		name  string
		preds []Prediction
		nan   []string // fields expected NaN
	}{
		{"no graphs", nil, []string{"SHD", "AUROC", "AUPRC", "F1", "MSE", "baseline MSE", "true edges", "empty AUROC"}},
		{"no edges, no baseline", []Prediction{{
			N: 2, AdjProbs: []float32{0, 0.2, 0.9, 0}, TrueAdj: []float32{0, 0, 0, 0},
			Delta: []float32{0, 0}, TrueDelta: []float32{0, 0},
		}}, []string{"AUROC", "AUPRC", "empty AUROC", "baseline MSE"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var acc Accumulator
			for _, p := range tc.preds {
				if err := acc.Add(p); err != nil {
					t.Fatal(err)
				}
			}
			r := acc.Report()
			fields := map[string]float64{
				"SHD": r.Structure.SHD, "AUROC": r.Structure.AUROC, "AUPRC": r.Structure.AUPRC,
				"F1": r.Structure.F1, "MSE": r.Delta.MSE, "baseline MSE": r.MeanShift.MSE,
				"true edges": r.TrueEdges, "empty AUROC": r.EmptyGraph.AUROC,
			}
			for _, name := range tc.nan {
				if !math.IsNaN(fields[name]) {
					t.Errorf("%s = %v, want NaN", name, fields[name])
				}
			}
			// NaN must not break JSON, and survives a round trip as NaN.
			data, err := json.Marshal(r)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			var back Report
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatalf("json.Unmarshal: %v", err)
			}
			if !math.IsNaN(back.Structure.AUROC) || back.Graphs != r.Graphs {
				t.Errorf("round trip: %+v", back)
			}
			var buf bytes.Buffer
			if err := r.WriteTable(&buf); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(buf.String(), "n/a") {
				t.Errorf("table does not mark undefined values:\n%s", buf.String())
			}
		})
	}
}

func TestReportJSON(t *testing.T) {
	var acc Accumulator
	for _, p := range twoGraphs() {
		acc.Add(p)
	}
	r := acc.Report()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"graphs":2`, `"threshold":0.5`, `"true_edges":1.5`, `"structure":{"shd":1,"auroc":0.6333`,
		`"auroc_per_graph":0.4375`, `"delta":{"mse":4.25,"huber":1.125}`, `"empty_graph":{"shd":1.5,"auroc":0.5`, `"mean_shift":{"mse":0.4,"huber":0.2}`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s:\n%s", key, data)
		}
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back != r {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", back, r)
	}
}

func TestWriteTable(t *testing.T) {
	var acc Accumulator
	for _, p := range twoGraphs() {
		acc.Add(p)
	}
	var buf bytes.Buffer
	if err := acc.Report().WriteTable(&buf); err != nil {
		t.Fatal(err)
	}
	want := `graphs: 2, true edges per graph: 1.50, edge threshold: 0.5
metric                  model  empty graph   mean shift
SHD                      1.00         1.50            —
AUROC                  0.6333       0.5000            —
AUROC per graph        0.4375       0.5000            —
AUPRC                  0.6429       0.3750            —
AUPRC per graph        0.6667       0.4167            —
precision              0.3333       0.0000            —
recall                 0.3333       0.0000            —
F1                     0.3333       0.0000            —
edges per graph          1.50         0.00            —
delta MSE              4.2500            —       0.4000
delta Huber            1.1250            —       0.2000
`
	if buf.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestAccumulatorConcurrent(t *testing.T) {
	var acc Accumulator
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				for _, p := range twoGraphs() {
					if err := acc.Add(p); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
	wg.Wait()
	r := acc.Report()
	if r.Graphs != 800 || !near(r.Structure.SHD, 1) || !near(r.Delta.MSE, 4.25) {
		t.Errorf("concurrent report: %d graphs, SHD %v, MSE %v", r.Graphs, r.Structure.SHD, r.Delta.MSE)
	}
	// Repeating the same graphs leaves every mean unchanged; pooled AUROC too.
	if !near(r.Structure.AUROC, 9.5/15) {
		t.Errorf("pooled AUROC = %v, want %v", r.Structure.AUROC, 9.5/15)
	}
}
