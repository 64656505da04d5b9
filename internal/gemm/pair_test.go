package gemm

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// TestPairKernel checks the 8×32 kernels against two calls of the 8×16
// ones, one per panel, bit for bit: row and column kernels, acc on and
// off, a bias with and without ReLU, prefetching tiles, a run of three
// tiles, the second panel further on than the first one's end.
func TestPairKernel(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	const h, n, k, lda, ldc = 8, 3, 37, 50, 40
	for _, rows := range []bool{true, false} {
		for _, acc := range []int{0, 1} {
			for _, relu := range []bool{false, true} {
				for _, pf := range []int{0, 2} {
					a := randSlice(rng, 4000)
					a[7] = float32(math.NaN())
					pstride := k*PanelWidth + 48
					b := randSlice(rng, pstride+k*PanelWidth)
					bias := randSlice(rng, 2*PanelWidth)
					c := randSlice(rng, n*h*ldc+ldc)
					astep := h * lda
					if !rows {
						astep = h
					}
					want := slices.Clone(c)
					for panel := range 2 {
						tl := tiles{n: n, astep: astep, cstep: h * ldc, prefetch: pf, bias: bias[panel*PanelWidth:], relu: relu}
						asmKernel(AVX512, rows, h, a, lda, b[panel*pstride:], k, want[panel*PanelWidth:], ldc, acc, tl)
					}
					got := slices.Clone(c)
					tl := tiles{n: n, astep: astep, cstep: h * ldc, prefetch: pf, bias: bias, relu: relu}
					if !asmPairKernel(rows, a, lda, b, pstride, k, got, ldc, acc, tl) {
						t.Fatal("no pair kernel on an AVX-512 CPU")
					}
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("rows=%v acc=%d relu=%v pf=%d: c[%d] = %v, two 8×16 calls %v", rows, acc, relu, pf, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestPairTilesRun checks that avx512x32 hands the leading whole 8-row
// tiles of each pair of whole panels to the 8×32 kernels (and avx512
// never), for Mul with a and aᵀ and for MulPacked.
func TestPairTilesRun(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	var done atomic.Int64
	pairTilesDone = &done
	defer func() { pairTilesDone = nil }()
	rng := rand.New(rand.NewPCG(23, 24))
	const m, n, k = 42, 70, 300 // 2 blocks of k; 4 whole panels and a partial one: 2 pairs
	plan := plansOf(AVX512)
	lead := plan.runs[m][0] // the leading run of 8-row tiles (42 rows: no short one)
	if plan.heights[m][0] != 8 || lead*8 > m {
		t.Fatalf("plan for %d rows: %v", m, plan.heights[m])
	}
	perProduct := int64(2 * 2 * lead)
	for _, p := range []Path{AVX512, AVX512x32} {
		withPath(t, p)
		want := perProduct
		if p == AVX512 {
			want = 0
		}
		for _, transA := range []bool{false, true} {
			done.Store(0)
			a, lda, b, ldb, c, ldc := operands(rng, transA, false, m, n, k)
			Mul(transA, false, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
			if got := done.Load(); got != want {
				t.Errorf("%s Mul transA=%v: %d tiles through the 8×32 kernels, want %d", p, transA, got, want)
			}
		}
		done.Store(0)
		a, lda, _, _, c, ldc := operands(rng, false, false, m, n, k)
		MulPacked(m, n, k, a, lda, Pack(randSlice(rng, k*n), k, n), c, ldc)
		if got := done.Load(); got != want {
			t.Errorf("%s MulPacked: %d tiles through the 8×32 kernels, want %d", p, got, want)
		}
	}
}
