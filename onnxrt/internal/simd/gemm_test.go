package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmPacked compares GemmPacked with a float64 reference over shapes
// that exercise full and partial panels, 4-row blocks and leftover rows,
// and strides wider than the matrices; and checks that a row's result is
// bit-identical whatever block it falls in.
func TestGemmPacked(t *testing.T) {
	if !Enabled() {
		t.Skip("no AVX2+FMA")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ m, n, k, lda, ldc int }{
		{1, 16, 1, 1, 16}, {4, 16, 3, 3, 16}, {5, 17, 7, 7, 17}, {20, 128, 128, 128, 128},
		{20, 2048, 128, 128, 2048}, {20, 128, 2048, 2048, 128}, {3, 5, 9, 12, 8}, {7, 40, 33, 40, 45},
		{20, 1, 128, 128, 1}, {20, 384, 128, 128, 384}, {0, 8, 8, 8, 8}, {6, 0, 4, 4, 4},
		{9, 21, 600, 600, 30}, {13, 50, 257, 260, 50}, {640, 128, 2048, 2048, 128},
	} {
		a := make([]float32, max(0, (tc.m-1)*tc.lda+tc.k))
		w := make([]float32, tc.k*tc.n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		c := make([]float32, max(0, (tc.m-1)*tc.ldc+tc.n))
		for i := range c {
			c[i] = float32(math.NaN()) // every output must be written
		}
		if !GemmPacked(tc.m, tc.n, tc.k, a, tc.lda, Pack(w, tc.k, tc.n), c, tc.ldc) {
			t.Fatal("GemmPacked reports no vector support")
		}
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				var want, scale float64
				for p := 0; p < tc.k; p++ {
					want += float64(a[i*tc.lda+p]) * float64(w[p*tc.n+j])
					scale += math.Abs(float64(a[i*tc.lda+p]) * float64(w[p*tc.n+j]))
				}
				// float32 accumulation: k roundings of at most half an
				// ulp of the running sum, bounded by the absolute sum.
				tol := 1e-6 * (scale + 1) * float64(tc.k+1)
				if got := float64(c[i*tc.ldc+j]); math.IsNaN(got) || math.Abs(got-want) > tol {
					t.Fatalf("%+v: c[%d][%d] = %v, want %v ± %g", tc, i, j, got, want, tol)
				}
			}
		}
		// Row i alone gives the same bits as row i within the block.
		for i := 0; i < tc.m; i++ {
			one := make([]float32, tc.n)
			GemmPacked(1, tc.n, tc.k, a[i*tc.lda:], tc.lda, Pack(w, tc.k, tc.n), one, tc.n)
			for j := range one {
				if math.Float32bits(one[j]) != math.Float32bits(c[i*tc.ldc+j]) {
					t.Fatalf("%+v: row %d alone differs from the same row in the block at column %d", tc, i, j)
				}
			}
		}
	}
}

func TestGemmPackedShortSlices(t *testing.T) {
	if !Enabled() {
		t.Skip("no AVX2+FMA")
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic on a short output")
		}
	}()
	GemmPacked(4, 16, 8, make([]float32, 32), 8, Pack(make([]float32, 128), 8, 16), make([]float32, 63), 16)
}
