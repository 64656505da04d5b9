package scm

import (
	"math"
	"slices"
	"testing"
)

func TestNewDatasetLayout(t *testing.T) {
	tests := []struct {
		name        string
		n           int
		q           float64
		values      []float64
		pairing     string
		standardize bool
	}{
		{"notebook defaults", 20, 0.5, []float64{5, 8, 10}, PairingRandom, false},
		{"odd N", 5, 0.5, []float64{5, 8, 10}, PairingRandom, false},
		{"counterfactual", 9, 1, []float64{-3, 4}, PairingCounterfactual, false},
		{"standardized", 8, 0.25, []float64{10}, PairingRandom, true},
		{"no interventions", 6, 0, []float64{5}, PairingRandom, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Nodes, cfg.InterventionFrac, cfg.Values, cfg.Pairing, cfg.Standardize = tc.n, tc.q, tc.values, tc.pairing, tc.standardize
			cfg.Samples = 30
			d, err := NewDataset(cfg, 3, 1)
			if err != nil {
				t.Fatal(err)
			}
			n := d.N()
			targets := int(math.Ceil(float64(tc.n) * tc.q))
			if n != tc.n || d.ObsRows() != 30 || len(d.Blocks) != targets*len(tc.values) {
				t.Fatalf("N %d, %d obs rows, %d blocks; want %d, 30, %d", n, d.ObsRows(), len(d.Blocks), tc.n, targets*len(tc.values))
			}
			seen := map[int]bool{}
			for i, b := range d.Blocks {
				if b.Rows(n) != 30 {
					t.Errorf("block %d has %d rows", i, b.Rows(n))
				}
				if want := tc.values[i%len(tc.values)]; !tc.standardize && b.Value != want {
					t.Errorf("block %d value %v, want %v (values in order per target)", i, b.Value, want)
				}
				if i%len(tc.values) == 0 {
					if seen[b.Node] {
						t.Errorf("target %d repeated", b.Node)
					}
					seen[b.Node] = true
				} else if b.Node != d.Blocks[i-1].Node {
					t.Errorf("block %d: target changed within a target's values", i)
				}
				for _, x := range column(b.Data, n, b.Node) {
					if x != float64(float32(b.Value)) {
						t.Fatalf("block %d: intervened column %v, want %v", i, x, b.Value)
					}
				}
				if tc.pairing == PairingCounterfactual {
					// Block rows reuse the observational rows' noise:
					// non-descendant columns are identical.
					desc := d.Graph.descendantMask(b.Node, nil)
					for j := range n {
						if !desc[j] && !slices.Equal(column(b.Data, n, j), column(d.Obs, n, j)) {
							t.Errorf("block %d: non-descendant x%d differs from the observational column", i, j)
						}
					}
				}
			}
			if tc.standardize {
				for j := range n {
					m, sd := meanStd(column(d.Obs, n, j))
					if math.Abs(m) > 1e-5 || (sd > ConstantStd && math.Abs(sd-1) > 1e-5) {
						t.Errorf("standardised x%d: mean %v sd %v", j, m, sd)
					}
				}
				if len(d.Mean) != n || len(d.Std) != n {
					t.Error("Mean/Std not recorded")
				}
			}
			if !slices.Equal(d.Adj, d.Graph.Adjacency()) {
				t.Error("Adj differs from the graph's adjacency")
			}
		})
	}
}

func TestNewDatasetReproducible(t *testing.T) {
	cfg := DefaultConfig()
	a, _ := NewDataset(cfg, 7, 2)
	b, _ := NewDataset(cfg, 7, 2)
	c, _ := NewDataset(cfg, 7, 3)
	if !slices.Equal(a.Obs, b.Obs) || !slices.Equal(a.Blocks[5].Data, b.Blocks[5].Data) {
		t.Error("same (seed, index) gave different data")
	}
	if slices.Equal(a.Adj, c.Adj) {
		t.Error("graphs 2 and 3 of a seed are identical")
	}
	if _, err := NewDataset(cfg, 7, -1); err == nil {
		t.Error("negative index accepted")
	}
}

// TestReport checks the degeneracy report on hand-made columns.
func TestReport(t *testing.T) {
	// Observational: x0 constant, x1 half at the clip, x2 normal-ish.
	const s = 4
	obs := []float64{
		3, 3, 3, 3, // x0
		20, -20, 1, 2, // x1
		0.5, -1, 2, 0, // x2
	}
	r := colReport(obs, 3, s, -1)
	if r.Values != 12 || r.Clipped != 2 || r.ObsColumns != 3 || r.ObsConstant != 1 || r.IntColumns != 0 {
		t.Errorf("observational report %+v", r)
	}
	// Interventional on x1: x1 skipped; x2 constant at the clip.
	intv := []float64{1, 2, 3, 4, 5, 5, 5, 5, 20, 20, 20, 20}
	ri := colReport(intv, 3, s, 1)
	if ri.Values != 8 || ri.Clipped != 4 || ri.IntColumns != 2 || ri.IntConstant != 1 || ri.ObsColumns != 0 {
		t.Errorf("interventional report %+v", ri)
	}
	tot := r.Add(ri)
	if got := tot.ClipFraction(); got != 6.0/20 {
		t.Errorf("ClipFraction = %v, want 0.3", got)
	}
	if got := tot.ConstantFraction(); got != 2.0/5 {
		t.Errorf("ConstantFraction = %v, want 0.4", got)
	}
	if (Report{}).ClipFraction() != 0 {
		t.Error("empty report has a clip fraction")
	}
}

// TestNotebookPriorDegenerates reproduces the notebook's defect 7 (README, defects of the reference notebook): at N = 50 the
// notebook prior clips a large share of values, and er does not.
func TestNotebookPriorDegenerates(t *testing.T) {
	clip := func(prior Prior) float64 {
		cfg := DefaultConfig()
		cfg.Nodes, cfg.Prior, cfg.InterventionFrac = 50, prior, 0.1
		var tot Report
		for i := range 4 {
			d, _ := NewDataset(cfg, 1, i)
			tot = tot.Add(d.Report)
		}
		return tot.ClipFraction()
	}
	if nb, er := clip(PriorNotebook), clip(PriorER); nb < 0.4 || er > nb/2 {
		t.Errorf("clip fraction at N=50: notebook %.2f (want ≥ 0.4), er %.2f (want < half)", nb, er)
	}
}

func TestDatasetEpisodes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Samples, cfg.Pairing = 10, 25, PairingCounterfactual
	d, _ := NewDataset(cfg, 1, 0)
	b, err := d.Episodes(4)
	if err != nil {
		t.Fatal(err)
	}
	if b.B != len(d.Blocks) || b.S != 25 || b.N != 10 {
		t.Fatalf("batch B %d S %d N %d", b.B, b.S, b.N)
	}
	for k := range b.B {
		ep := b.Episode(k)
		checkEpisodeShape(t, ep, false)
		if ep.BaseRow != ep.IntRow {
			t.Errorf("counterfactual data: rows %d and %d not aligned", ep.BaseRow, ep.IntRow)
		}
		desc := descendantsFromAdj(10, ep.Adj, ep.Node)
		for v, dv := range ep.Delta {
			if !desc[v] && dv != 0 {
				t.Errorf("element %d: delta %v on non-descendant x%d", k, dv, v)
			}
		}
	}
	d.Blocks[1].Data = d.Blocks[1].Data[:10*24]
	if _, err := d.Episodes(4); err == nil {
		t.Error("Episodes accepted a block shorter than the observational set")
	}
}
