package gemm

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// sparseOperand returns an m×k a (stride k+3) whose values are nonzero
// with probability density, with a NaN, an infinity and negative zeros
// among them when there is room.
func sparseOperand(rng *rand.Rand, m, k int, density float64) ([]float32, int) {
	lda := k + 3
	a := make([]float32, m*lda)
	for i := range m {
		for p := range k {
			switch {
			case rng.Float64() < density:
				a[i*lda+p] = float32(rng.NormFloat64())
			case rng.IntN(2) == 0:
				a[i*lda+p] = float32(math.Copysign(0, -1))
			}
		}
	}
	if m > 3 && k > 2 {
		a[1*lda+k/2] = float32(math.NaN())
		a[3*lda+1] = float32(math.Inf(-1))
	}
	return a, lda
}

// TestMulPackedBiasSparse checks MulPackedBiasSparse against
// MulPackedBias bit for bit on every path (without a sparse kernel it is
// MulPackedBias), with ReLU and without, at densities from all zeros to
// all nonzero, with every block forced through the sparse kernels and
// with the density rule: shapes with k over several kBlock passes and
// partial mask words, m over several mBlock blocks, columns past the last
// whole group of panels (partial panels included) and no whole group at
// all, NaN, infinite and −0 values of a, and strides wider than the rows
// (nothing outside c is written).
func TestMulPackedBiasSparse(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := []packedShape{
		{1, 64, 1}, {3, 64, 64}, {7, 128, 100}, {13, 130, 300}, {20, 128, 2048},
		{481, 192, 257}, {5, 48, 70}, {2, 256, 7}, {9, 136, 65},
	}
	for _, p := range Paths() {
		if p == OpenBLAS {
			continue
		}
		withPath(t, p)
		for _, sh := range shapes {
			for _, density := range []float64{0, 0.4, 0.9, 1} {
				a, lda := sparseOperand(rng, sh.m, sh.k, density)
				w := randSlice(rng, sh.k*sh.n)
				packed := Pack(w, sh.k, sh.n)
				bias := randSlice(rng, sh.n)
				ldc := sh.n + 5
				c := randSlice(rng, sh.m*ldc)
				for _, relu := range []bool{false, true} {
					want := slices.Clone(c)
					MulPackedBias(sh.m, sh.n, sh.k, a, lda, packed, bias, relu, want, ldc)
					for _, force := range []bool{false, true} {
						got := slices.Clone(c)
						func() {
							if force {
								defer func(d float64) { sparseMaxDensity = d }(sparseMaxDensity)
								sparseMaxDensity = 2
							}
							MulPackedBiasSparse(sh.m, sh.n, sh.k, a, lda, packed, bias, relu, got, ldc)
						}()
						for e := range got {
							if math.Float32bits(got[e]) != math.Float32bits(want[e]) {
								t.Fatalf("%s %v density %v relu=%v forced=%v: c[%d][%d] = %v, MulPackedBias %v",
									p, sh, density, relu, force, e/ldc, e%ldc, got[e], want[e])
							}
						}
					}
				}
			}
		}
	}
}

// TestMulPackedBiasSparseSkipsZeros shows which blocks the sparse kernels
// take: a zero of a times an infinite weight is NaN in MulPackedBias and
// skipped by the sparse kernels, so the columns of that weight are finite
// exactly when a block of rows was sparse enough (30% nonzero), and NaN
// when it was not (90%) or the path has no sparse kernel.
func TestMulPackedBiasSparseSkipsZeros(t *testing.T) {
	const m, n, k = 500, 128, 300 // two blocks of rows: 480 and 20
	rng := rand.New(rand.NewPCG(13, 14))
	for _, p := range Paths() {
		if p == OpenBLAS {
			continue
		}
		withPath(t, p)
		_, _, sparse := sparseShape(p)
		for _, density := range []float64{0.3, 0.9} {
			a, lda := sparseOperand(rng, m, k, density)
			for i, v := range a {
				if v != v || math.IsInf(float64(v), 0) {
					a[i] = 1 // nothing else is special...
				}
			}
			for i := range m {
				a[i*lda] = 0 // ...and step 0 is zero in every row
			}
			w := randSlice(rng, k*n)
			w[5] = float32(math.Inf(1)) // step 0, column 5
			c := make([]float32, m*n)
			MulPackedBiasSparse(m, n, k, a, lda, Pack(w, k, n), make([]float32, n), false, c, n)
			wantNaN := !sparse || density > sparseMaxDensity
			for i := range m {
				if isNaN := c[i*n+5] != c[i*n+5]; isNaN != wantNaN {
					t.Fatalf("%s density %v: c[%d][5] = %v, want NaN %v", p, density, i, c[i*n+5], wantNaN)
				}
			}
		}
	}
}

// TestNonzeroMasks checks the masks bit by bit against a[p] ≠ 0 (NaN
// set, ±0 clear), the bits from k on clear, and the count, for widths
// around the 8-value chunks and 64-bit words.
func TestNonzeroMasks(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, k := range []int{1, 7, 8, 9, 63, 64, 65, 130, 2048} {
		const rows = 5
		a, lda := sparseOperand(rng, rows, k, 0.5)
		ldm := (k+63)/64*8 + 8
		dst := make([]byte, rows*ldm)
		for i := range dst {
			dst[i] = 0xFF // stale masks
		}
		count := nonzeroMasks(dst, ldm, a, lda, rows, k)
		want := 0
		for r := range rows {
			for p := range 8 * ldm {
				bit := dst[r*ldm+p/8]>>(p%8)&1 == 1
				v := float32(0)
				if p < k {
					v = a[r*lda+p]
				}
				if nz := v != 0 || v != v; bit != nz {
					t.Fatalf("k %d: row %d bit %d = %v for %v", k, r, p, bit, v)
				}
				if bit {
					want++
				}
			}
		}
		if count != want {
			t.Errorf("k %d: count %d, %d bits set", k, count, want)
		}
	}
}
