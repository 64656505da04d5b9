package onnxrt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"causeway/internal/gemm"
	"causeway/model"
	"causeway/model/modeltest"
)

// TestSparseLinears checks which Linears skip their input's zeros and
// that they give the bits of the dense product: in Model D (ReLU) the
// second layer of every feed-forward block (on a path with sparse
// kernels), in Model A (GELU) none.
// d_model is 128 so that the sparse kernels take the columns on both
// AVX2 and AVX-512.
func TestSparseLinears(t *testing.T) {
	cfg := func(v model.Variant) model.Config {
		c := modeltest.SmallConfig(v, false)
		c.DModel, c.FF = 128, 256
		return c
	}
	load := func(t *testing.T, c model.Config, sparse bool) *Model {
		t.Helper()
		_, data := exported(t, c, 3)
		return loadWith(t, data, &sparseLinear, sparse)
	}
	d := cfg(model.VariantD)
	ff := d.Layers + d.StructLayers
	t.Run("D", func(t *testing.T) {
		sparse, dense := load(t, d, true), load(t, d, false)
		wantSparse := ff // one per feed-forward block, where the path has sparse kernels
		if w := gemm.SparseWidth(); w == 0 || d.DModel < w {
			wantSparse = 0
		}
		if got := sparse.sparseLinears(); got != wantSparse {
			t.Fatalf("%d sparse Linears, want %d: %s", got, wantSparse, sparse.Plan())
		}
		if got := dense.sparseLinears(); got != 0 {
			t.Fatalf("%d sparse Linears with sparseLinear off", got)
		}
		in := randomInputs(rand.New(rand.NewPCG(5, 6)), 4, 50, 20, true)
		got, err := sparse.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := dense.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		for name, pair := range map[string][2][]float32{"delta": {got.Delta, want.Delta}, "adj_logits": {got.AdjLogits, want.AdjLogits}} {
			for i := range pair[1] {
				if math.Float32bits(pair[0][i]) != math.Float32bits(pair[1][i]) {
					t.Fatalf("%s[%d] = %v sparse, %v dense", name, i, pair[0][i], pair[1][i])
				}
			}
		}
	})
	t.Run("A", func(t *testing.T) {
		if got := load(t, cfg(model.VariantA), true).sparseLinears(); got != 0 {
			t.Fatalf("%d sparse Linears in a GELU model", got)
		}
	})
}

// TestAllFinite checks the weights' test for the sparse product: a zero
// input times an infinite or NaN weight is NaN, which skipping it would
// lose.
func TestAllFinite(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, tc := range []struct {
		w    []float32
		want bool
	}{
		{nil, true},
		{[]float32{1, -2, 0, float32(math.Copysign(0, -1))}, true},
		{[]float32{math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32}, true},
		{[]float32{1, inf}, false},
		{[]float32{-inf, 1}, false},
		{[]float32{0, nan, 0}, false},
	} {
		if got := allFinite(tc.w); got != tc.want {
			t.Errorf("allFinite(%v) = %v, want %v", tc.w, got, tc.want)
		}
	}
}

// TestSparseDispatch checks that a Linear marked sparse runs the sparse
// product: a zero input column times an infinite weight is NaN in the
// dense product and skipped by the sparse one, so the weight's output
// column is finite exactly when the sparse kernels ran (on a path that
// has them, with a whole group of columns).
func TestSparseDispatch(t *testing.T) {
	const rows, k, nout = 4, 40, 128
	rng := rand.New(rand.NewPCG(7, 8))
	w := make([]float32, k*nout)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	w[3] = float32(math.Inf(1)) // row 0, column 3
	x := ft([]int{rows, k}, make([]float32, rows*k)...)
	for i := range x.f {
		if i%k != 0 && rng.Float64() < 0.3 {
			x.f[i] = float32(rng.NormFloat64()) // column 0 stays zero
		}
	}
	width := gemm.SparseWidth()
	for _, sparse := range []bool{false, true} {
		l := &linearKernel{w: slices.Clone(w), k: k, nout: nout, b: make([]float32, nout), act: actNone, sparse: sparse}
		l.epi = l.epilogue()
		l.packed, l.w = gemm.Pack(l.w, k, nout), nil
		out := runKernel(t, l, &x)
		skipped := sparse && width > 0 && nout >= width
		for r := range rows {
			if v := out.f[r*nout+3]; (v == v) != skipped {
				t.Fatalf("sparse=%v (kernels %d columns wide): row %d column 3 = %v", sparse, width, r, v)
			}
		}
	}
}
