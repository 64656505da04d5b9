package scm

import (
	"math"
	"slices"
	"testing"
)

// checkEpisodeShape checks the invariants every episode satisfies whatever
// the pairing: sizes, mask, delta = Int[IntRow] − Target, Target = Base row,
// the intervened column, and an acyclic adjacency.
func checkEpisodeShape(t *testing.T, ep *Episode, standardized bool) {
	t.Helper()
	n, s := ep.N, ep.S
	if len(ep.Base) != s*n || len(ep.Int) != s*n || len(ep.Target) != n || len(ep.Mask) != n || len(ep.Delta) != n || len(ep.Adj) != n*n {
		t.Fatalf("bad sizes for N=%d S=%d", n, s)
	}
	for v := range n {
		want := float32(0)
		if v == ep.Node {
			want = 1
		}
		if ep.Mask[v] != want {
			t.Fatalf("mask %v for node %d", ep.Mask, ep.Node)
		}
		if ep.Target[v] != ep.Base[ep.BaseRow*n+v] {
			t.Fatalf("target is not base row %d", ep.BaseRow)
		}
		if ep.Delta[v] != ep.Int[ep.IntRow*n+v]-ep.Target[v] {
			t.Fatalf("delta[%d] = %v, want Int[%d] − Target = %v", v, ep.Delta[v], ep.IntRow, ep.Int[ep.IntRow*n+v]-ep.Target[v])
		}
	}
	col := column(ep.Int, n, ep.Node)
	for _, x := range col {
		if x != col[0] {
			t.Fatalf("intervened column not constant: %v vs %v", x, col[0])
		}
	}
	if !standardized && col[0] != ep.Value {
		t.Fatalf("intervened column %v, want the value %v", col[0], ep.Value)
	}
	if _, ok := topoSort(n, ep.Adj); !ok {
		t.Fatal("episode adjacency has a cycle")
	}
}

func TestEpisodePairings(t *testing.T) {
	tests := []struct {
		name        string
		pairing     string
		standardize bool
		prior       Prior
	}{
		{"random", PairingRandom, false, PriorNotebook},
		{"counterfactual", PairingCounterfactual, false, PriorNotebook},
		{"counterfactual standardized", PairingCounterfactual, true, PriorER},
		{"random standardized sf", PairingRandom, true, PriorSF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Nodes, cfg.Samples, cfg.Pairing, cfg.Standardize, cfg.Prior = 12, 40, tc.pairing, tc.standardize, tc.prior
			zeroOnNonDesc, nonDesc, descChanged := 0, 0, 0
			for seed := range uint64(60) {
				ep, err := NewEpisode(cfg, seed)
				if err != nil {
					t.Fatal(err)
				}
				checkEpisodeShape(t, ep, tc.standardize)
				desc := descendantsFromAdj(ep.N, ep.Adj, ep.Node)
				for v := range ep.N {
					switch {
					case !desc[v]:
						nonDesc++
						if ep.Delta[v] == 0 {
							zeroOnNonDesc++
						}
					case v != ep.Node && ep.Delta[v] != 0:
						descChanged++
					}
				}
			}
			if tc.pairing == PairingCounterfactual {
				if zeroOnNonDesc != nonDesc {
					t.Errorf("delta is non-zero on %d of %d non-descendants; counterfactual delta must be exactly 0 there", nonDesc-zeroOnNonDesc, nonDesc)
				}
				if descChanged == 0 {
					t.Error("no descendant ever changed")
				}
			} else if zeroOnNonDesc > nonDesc/10 {
				t.Errorf("random pairing: delta is 0 on %d of %d non-descendants; fresh noise should make it non-zero", zeroOnNonDesc, nonDesc)
			}
		})
	}
}

// TestStandardizedEpisode checks that standardised base columns have mean 0
// and sd 1 and that Value stays the raw intervention value.
func TestStandardizedEpisode(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Standardize, cfg.Prior, cfg.Samples = true, PriorER, 200
	ep, err := NewEpisode(cfg, 3)
	if err != nil {
		t.Fatal(err)
	}
	for j := range ep.N {
		m, sd := meanStd(column(ep.Base, ep.N, j))
		if math.Abs(m) > 1e-5 || (sd > ConstantStd && math.Abs(sd-1) > 1e-5) {
			t.Errorf("standardised base column %d: mean %v, sd %v", j, m, sd)
		}
	}
	if ep.Value != 5 && ep.Value != 8 && ep.Value != 10 {
		t.Errorf("Value %v is not a raw intervention value", ep.Value)
	}
}

func TestNewEpisodeDeterministic(t *testing.T) {
	cfg := DefaultConfig()
	a, _ := NewEpisode(cfg, 42)
	b, _ := NewEpisode(cfg, 42)
	c, _ := NewEpisode(cfg, 43)
	if !slices.Equal(a.Base, b.Base) || !slices.Equal(a.Int, b.Int) || !slices.Equal(a.Delta, b.Delta) || !slices.Equal(a.Adj, b.Adj) {
		t.Error("same seed gave different episodes")
	}
	if slices.Equal(a.Adj, c.Adj) && slices.Equal(a.Base, c.Base) {
		t.Error("seeds 42 and 43 gave the same episode")
	}
	bad := cfg
	bad.Values = nil
	if _, err := NewEpisode(bad, 1); err == nil {
		t.Error("NewEpisode accepted a config without values")
	}
}
