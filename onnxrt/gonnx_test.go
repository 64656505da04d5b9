package onnxrt

import (
	"math/rand/v2"
	"testing"

	"causeway/contract"
	"causeway/model"
)

// TestGonnxCrossCheck runs small exports of every variant through gonnx
// (with the registered operators) and compares with the executor.
func TestGonnxCrossCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, v := range model.Variants {
		for _, eq := range []bool{false, true} {
			c := smallConfig(v, eq)
			_, b := exported(t, c, 9)
			m, err := LoadBytes("", b)
			if err != nil {
				t.Fatal(err)
			}
			g, err := LoadGonnx(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range []contract.Pairs{randomInputs(rng, 2, 10, 5, false), randomInputs(rng, 1, 12, 3, false), randomInputs(rng, 2, 12, 3, true)} {
				want, err := m.Run(in)
				if err != nil {
					t.Fatal(err)
				}
				got, err := RunGonnx(g, in)
				if err != nil {
					t.Fatalf("%s equivariant=%t: %v", v, eq, err)
				}
				if d, a := maxDiff(got.Delta, want.Delta), maxDiff(got.AdjLogits, want.AdjLogits); d > 1e-4 || a > 1e-4 {
					t.Errorf("%s equivariant=%t B=%d N=%d: gonnx differs from the executor by delta %.3g, adj %.3g", v, eq, in.B, in.N, d, a)
				}
			}
		}
	}
}
