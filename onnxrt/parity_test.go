package onnxrt

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"causeway/contract"
	"causeway/model"
)

// TestParity runs every variant (small, small equivariant, and the default
// size; -short skips the default size) through the executor and compares
// with model.Predict, the plain-Go float64 reference, within 1e-4 on
// N ∈ {3, 20, 50}, B ∈ {1, 4}, S ∈ {10, 100}, plus a batch that exercises
// the std floor and the feature clip.
func TestParity(t *testing.T) {
	const tol = 1e-4
	rng := rand.New(rand.NewPCG(7, 11))
	summary := map[model.Variant][2]float64{}
	for _, v := range model.Variants {
		for _, kind := range []string{"small", "small-equivariant", "default"} {
			c := smallConfig(v, kind == "small-equivariant")
			if kind == "default" {
				if testing.Short() {
					continue
				}
				c = model.DefaultConfig(v)
			}
			p, b := exported(t, c, uint64(len(summary))+3)
			m, err := LoadBytes("", b)
			if err != nil {
				t.Fatalf("%s %s: %v", v, kind, err)
			}
			var batches []contract.Pairs
			for _, n := range []int{3, 20, 50} {
				for _, bs := range []int{1, 4} {
					for _, s := range []int{10, 100} {
						batches = append(batches, randomInputs(rng, bs, s, n, false))
					}
				}
			}
			batches = append(batches, randomInputs(rng, 3, 20, 7, true))
			var worstD, worstA float64
			for _, in := range batches {
				got, err := m.Run(in)
				if err != nil {
					t.Fatalf("%s %s: %v", v, kind, err)
				}
				wd, wa, err := model.Predict(c, p, in.Base, in.Int, in.Target, in.Mask, in.B, in.S, in.N)
				if err != nil {
					t.Fatal(err)
				}
				dd, da := maxDiff(got.Delta, wd), maxDiff(got.AdjLogits, wa)
				if dd > tol || da > tol {
					t.Errorf("%s/%s B=%d S=%d N=%d: max |executor − reference| delta %.3g, adj_logits %.3g (tolerance %g)",
						v, kind, in.B, in.S, in.N, dd, da, tol)
				}
				worstD, worstA = math.Max(worstD, dd), math.Max(worstA, da)
			}
			t.Logf("%s/%-18s %3d batches: max diff delta %.2e adj_logits %.2e; %s", v, kind, len(batches), worstD, worstA, m.Plan())
			s := summary[v]
			summary[v] = [2]float64{math.Max(s[0], worstD), math.Max(s[1], worstA)}
		}
	}
	for _, v := range model.Variants {
		t.Logf("variant %s: max |executor − model.Predict| delta %.2e, adj_logits %.2e", v, summary[v][0], summary[v][1])
	}
}

// TestUnfused runs every variant with pattern fusion off (every ONNX node
// on its generic kernel) against model.Predict, and N=1.
func TestUnfused(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 1))
	for _, v := range model.Variants {
		for _, eq := range []bool{false, true} {
			c := smallConfig(v, eq)
			p, b := exported(t, c, 21)
			m, err := loadBytes(context.Background(), "", b, false)
			if err != nil {
				t.Fatal(err)
			}
			fused, err := LoadBytes("", b)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.plan.nodes) != m.nodes {
				t.Fatalf("unfused plan has %d kernels for %d nodes", len(m.plan.nodes), m.nodes)
			}
			for _, in := range []contract.Pairs{randomInputs(rng, 3, 10, 6, true), randomInputs(rng, 2, 4, 1, false)} {
				got, err := m.Run(in)
				if err != nil {
					t.Fatalf("%s eq=%t N=%d: %v", v, eq, in.N, err)
				}
				wd, wa, err := model.Predict(c, p, in.Base, in.Int, in.Target, in.Mask, in.B, in.S, in.N)
				if err != nil {
					t.Fatal(err)
				}
				if d, a := maxDiff(got.Delta, wd), maxDiff(got.AdjLogits, wa); d > 1e-4 || a > 1e-4 {
					t.Errorf("%s eq=%t N=%d unfused: delta %.3g adj %.3g", v, eq, in.N, d, a)
				}
				f, err := fused.Run(in)
				if err != nil {
					t.Fatalf("%s eq=%t N=%d fused: %v", v, eq, in.N, err)
				}
				if d, a := maxDiff(f.Delta, wd), maxDiff(f.AdjLogits, wa); d > 1e-4 || a > 1e-4 {
					t.Errorf("%s eq=%t N=%d fused: delta %.3g adj %.3g", v, eq, in.N, d, a)
				}
			}
		}
	}
}
