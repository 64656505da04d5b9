package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"causeway/internal/simd"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// shapes covers the shape classes: single elements, sizes below, at and
// above a panel (16), a kernel height and the blocks (kBlock 256, mBlock
// 480), strides wider than the rows, and the trainer's and executor's
// main products (N=20 rows per graph, d_model 128, FF 2048; 640 = 32·20).
var shapes = []struct{ m, n, k int }{
	{1, 1, 1}, {1, 16, 1}, {2, 3, 5}, {4, 16, 3}, {5, 17, 7}, {6, 16, 16}, {7, 40, 33},
	{12, 16, 8}, {13, 31, 9}, {20, 20, 16}, {20, 128, 128}, {20, 1, 128}, {9, 21, 600},
	{121, 50, 257}, {250, 33, 513}, {640, 128, 2048}, {640, 2048, 128}, {128, 128, 640},
	{0, 8, 8}, {6, 0, 4}, {5, 7, 0},
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// operands returns a, b and c for a shape, with strides 3 wider than the
// rows.
func operands(rng *rand.Rand, transA, transB bool, m, n, k int) (a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc = ac+3, bc+3, n+3
	return randSlice(rng, max(0, ar*lda)), lda, randSlice(rng, max(0, br*ldb)), ldb, randSlice(rng, max(0, m*ldc)), ldc
}

func withPath(t testing.TB, p Path) {
	t.Helper()
	prev, err := Use(p)
	if err != nil {
		t.Skip(err)
	}
	t.Cleanup(func() { Use(prev) })
}

// TestMulMatchesGonum compares Mul, on every path this CPU has, with
// gonum's reference Sgemm on every shape class, both transposes, and
// several alpha and beta (0 must ignore c's NaNs). The tolerance is
// float32 accumulation's bound: k+2 roundings of at most half an ulp of
// the absolute sum, on each side.
func TestMulMatchesGonum(t *testing.T) {
	for _, p := range Paths() {
		t.Run(p.String(), func(t *testing.T) {
			withPath(t, p)
			rng := rand.New(rand.NewPCG(1, 2))
			for _, sh := range shapes {
				for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
					for ci, ab := range [][2]float32{{1, 0}, {1, 1}, {-0.5, 2}, {0, 0.5}} {
						if sh.m*sh.n*sh.k > 1<<20 && ci != b2i(tr[1]) && ci != 2 {
							continue // large shapes: two alpha/beta pairs per transpose
						}
						name := fmt.Sprintf("%dx%dx%d/tA=%v,tB=%v/alpha=%v,beta=%v", sh.m, sh.n, sh.k, tr[0], tr[1], ab[0], ab[1])
						a, lda, b, ldb, c, ldc := operands(rng, tr[0], tr[1], sh.m, sh.n, sh.k)
						if ab[1] == 0 {
							for i := range c {
								c[i] = float32(math.NaN())
							}
						}
						want := slices.Clone(c)
						ta, tb := blas.NoTrans, blas.NoTrans
						if tr[0] {
							ta = blas.Trans
						}
						if tr[1] {
							tb = blas.Trans
						}
						gonum.Implementation{}.Sgemm(ta, tb, sh.m, sh.n, sh.k, ab[0], a, lda, b, ldb, ab[1], want, ldc)
						got := slices.Clone(c)
						MulParallel(2, tr[0], tr[1], sh.m, sh.n, sh.k, ab[0], a, lda, b, ldb, ab[1], got, ldc)
						// |alpha|·|op(a)|·|op(b)| + |beta·c|, the scale of the rounding errors.
						absA, absB := absSlice(a), absSlice(b)
						scale := absSlice(c)
						if ab[1] == 0 {
							clear(scale)
						}
						gonum.Implementation{}.Sgemm(ta, tb, sh.m, sh.n, sh.k, float32(math.Abs(float64(ab[0]))), absA, lda, absB, ldb, float32(math.Abs(float64(ab[1]))), scale, ldc)
						for i := range sh.m {
							for j := range sh.n {
								abs := float64(scale[i*ldc+j])
								tol := float64(sh.k+2) * 6e-8 * abs * 2
								g, w := float64(got[i*ldc+j]), float64(want[i*ldc+j])
								if math.IsNaN(g) || math.Abs(g-w) > tol {
									t.Fatalf("%s: c[%d][%d] = %v, gonum %v (tolerance %g)", name, i, j, g, w, tol)
								}
							}
							// Outside the matrix (the stride's padding) nothing changes.
							for j := sh.n; j < ldc && i*ldc+j < len(c); j++ {
								if math.Float32bits(got[i*ldc+j]) != math.Float32bits(c[i*ldc+j]) {
									t.Fatalf("%s: wrote c[%d][%d], beyond the %d columns", name, i, j, sh.n)
								}
							}
						}
					}
				}
			}
		})
	}
}

// TestMulParallelThin: products large enough to be split (2·m·n·k over
// parallelFlops) but with fewer rows and columns than workers, on every
// path (OpenBLAS's split divided by a zero chunk here once).
func TestMulParallelThin(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, p := range Paths() {
		withPath(t, p)
		for _, sh := range []struct{ m, n, k, workers int }{{1, 1, 1 << 21, 2}, {2, 1, 1 << 20, 3}, {1, 2, 1 << 20, 3}} {
			a, b := randSlice(rng, sh.m*sh.k), randSlice(rng, sh.k*sh.n)
			want, got := make([]float32, sh.m*sh.n), make([]float32, sh.m*sh.n)
			gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, sh.m, sh.n, sh.k, 1, a, sh.k, b, sh.n, 0, want, sh.n)
			MulParallel(sh.workers, false, false, sh.m, sh.n, sh.k, 1, a, sh.k, b, sh.n, 0, got, sh.n)
			for i := range want {
				// k+2 roundings of half an ulp of a sum of |products| ≤ k·(a few).
				if tol := float64(sh.k+2) * 6e-8 * 4 * math.Sqrt(float64(sh.k)); math.Abs(float64(got[i]-want[i])) > tol {
					t.Fatalf("%s %v: c[%d] = %v, gonum %v", p, sh, i, got[i], want[i])
				}
			}
		}
	}
}

// TestSameBitsEverywhere checks the determinism promise: the assembly
// paths (both AVX-512 tile shapes among them), any number of workers, and
// a row computed alone give the same bits, for a and aᵀ, b and bᵀ, with
// alpha and beta (the Go path too where Go fuses multiply-adds; not on
// amd64 v1).
func TestSameBitsEverywhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		transA, transB bool
		alpha, beta    float32
	}{{false, true, 1, 1}, {true, true, 1, 1}, {false, false, 0.5, 2}, {true, false, -1.5, 0}} {
		transA := tc.transA
		for _, sh := range shapes {
			a, lda, b, ldb, c0, ldc := operands(rng, transA, tc.transB, sh.m, sh.n, sh.k)
			var ref []float32
			for _, p := range Paths() {
				if p == OpenBLAS || (p == Go && !goFuses) {
					continue
				}
				withPath(t, p)
				for _, workers := range []int{1, 2, 7} {
					c := slices.Clone(c0)
					MulParallel(workers, transA, tc.transB, sh.m, sh.n, sh.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
					if ref == nil {
						ref = c
						continue
					}
					for i := range c {
						if math.Float32bits(c[i]) != math.Float32bits(ref[i]) {
							t.Fatalf("%v %+v: path %s with %d workers differs at %d: %v vs %v", sh, tc, p, workers, i, c[i], ref[i])
						}
					}
				}
				for i := range sh.m {
					row := slices.Clone(c0[i*ldc : i*ldc+sh.n])
					ai := a[min(i*lda, len(a)):]
					if transA {
						ai = a[min(i, len(a)):]
					}
					Mul(transA, tc.transB, 1, sh.n, sh.k, tc.alpha, ai, lda, b, ldb, tc.beta, row, sh.n)
					for j := range row {
						if math.Float32bits(row[j]) != math.Float32bits(ref[i*ldc+j]) {
							t.Fatalf("%v %+v: path %s: row %d alone differs at column %d", sh, tc, p, i, j)
						}
					}
				}
			}
		}
	}
}

// TestMulPacked checks MulPacked against Mul (same bits) on every path.
func TestMulPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, p := range Paths() {
		if p == OpenBLAS {
			continue
		}
		withPath(t, p)
		for _, sh := range shapes {
			a, lda, w, _, c, ldc := operands(rng, false, false, sh.m, sh.n, sh.k)
			w = w[:sh.k*sh.n] // dense k×n
			want := slices.Clone(c)
			Mul(false, false, sh.m, sh.n, sh.k, 1, a, lda, w, sh.n, 0, want, ldc)
			got := slices.Clone(c)
			for i := range got {
				got[i] = float32(math.NaN())
			}
			MulPacked(sh.m, sh.n, sh.k, a, lda, Pack(w, sh.k, sh.n), got, ldc)
			for i := range sh.m {
				for j := range sh.n {
					if math.Float32bits(got[i*ldc+j]) != math.Float32bits(want[i*ldc+j]) {
						t.Fatalf("%s %v: MulPacked c[%d][%d] = %v, Mul %v", p, sh, i, j, got[i*ldc+j], want[i*ldc+j])
					}
				}
			}
		}
	}
}

// packedShape is one product m×n×k of the packed-weight tests.
type packedShape = struct{ m, n, k int }

// forPackedCases runs f on every path with causeway's packed layout (all
// but OpenBLAS), in turn, for every shape class and two shapes over
// several row blocks and kBlock passes.
func forPackedCases(t *testing.T, f func(p Path, sh packedShape)) {
	t.Helper()
	extra := []packedShape{{481, 300, 600}, {1000, 17, 260}}
	for _, p := range Paths() {
		if p == OpenBLAS {
			continue
		}
		withPath(t, p)
		for _, sh := range append(slices.Clone(shapes), extra...) {
			f(p, sh)
		}
	}
}

// TestMulPackedEpilogue checks that the epilogue sees every element of c
// exactly once, only after its value is final (the bits of MulPacked), and
// never a column or row outside c, on every shape class (k over several
// kBlock passes, m over several mBlock blocks, partial panels).
func TestMulPackedEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	forPackedCases(t, func(p Path, sh packedShape) {
		a, lda, w, _, c, ldc := operands(rng, false, false, sh.m, sh.n, sh.k)
		w = w[:sh.k*sh.n]
		want := slices.Clone(c)
		MulPacked(sh.m, sh.n, sh.k, a, lda, Pack(w, sh.k, sh.n), want, ldc)
		got := slices.Clone(c)
		seen := make([]int, len(c))
		MulPackedEpilogue(sh.m, sh.n, sh.k, a, lda, Pack(w, sh.k, sh.n), got, ldc, func(part []float32, ld, rows, j0, width int) {
			if ld != ldc || j0 < 0 || width < 1 || j0+width > sh.n || rows < 1 {
				t.Fatalf("%s %v: epilogue over rows %d, columns %d+%d, ldc %d", p, sh, rows, j0, width, ld)
			}
			base := len(got) - len(part) // part starts at row i0, column j0
			i0 := (base - j0) / ldc
			if i0*ldc+j0 != base || i0+rows > sh.m {
				t.Fatalf("%s %v: epilogue part at offset %d (rows %d, column %d)", p, sh, base, rows, j0)
			}
			for r := range rows {
				for j := range width {
					e := base + r*ldc + j
					if math.Float32bits(part[r*ldc+j]) != math.Float32bits(want[e]) {
						t.Fatalf("%s %v: epilogue saw c[%d][%d] = %v before it was final (%v)", p, sh, i0+r, j0+j, part[r*ldc+j], want[e])
					}
					seen[e]++
					part[r*ldc+j] = -part[r*ldc+j]
				}
			}
		})
		for i := range sh.m {
			for j := range sh.n {
				e := i*ldc + j
				if seen[e] != 1 || got[e] != -want[e] {
					t.Fatalf("%s %v: c[%d][%d] seen %d times, %v after the epilogue (want %v)", p, sh, i, j, seen[e], got[e], -want[e])
				}
			}
		}
	})
}

// TestMulPackedBias holds MulPackedBias to MulPacked followed by
// simd.BiasRows (and its scalar rule for the last columns), bit for bit,
// on every path and shape class (partial panels, k over several kBlock
// passes, m over several blocks), with and without ReLU; rows of NaN stay
// NaN, and nothing outside the matrix is written.
func TestMulPackedBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	forPackedCases(t, func(p Path, sh packedShape) {
		for _, relu := range []bool{false, true} {
			a, lda, w, _, c, ldc := operands(rng, false, false, sh.m, sh.n, sh.k)
			if sh.m > 2 && sh.k > 0 {
				a[lda] = float32(math.NaN()) // row 1 is NaN throughout
			}
			w = w[:sh.k*sh.n]
			bias := randSlice(rng, sh.n)
			packed := Pack(w, sh.k, sh.n)
			want := slices.Clone(c)
			MulPacked(sh.m, sh.n, sh.k, a, lda, packed, want, ldc)
			if sh.n > 0 && sh.m > 0 {
				done := simd.BiasRows(want, ldc, sh.m, bias, relu)
				for i := range sh.m {
					biasAct(want[i*ldc+done:i*ldc+sh.n], bias[done:], relu)
				}
			}
			got := slices.Clone(c)
			MulPackedBias(sh.m, sh.n, sh.k, a, lda, packed, bias, relu, got, ldc)
			for e := range got {
				if math.Float32bits(got[e]) != math.Float32bits(want[e]) {
					t.Fatalf("%s %v relu=%v: c[%d][%d] = %v, MulPacked and BiasRows %v", p, sh, relu, e/ldc, e%ldc, got[e], want[e])
				}
			}
		}
	})
}

func TestPlanRows(t *testing.T) {
	for _, tc := range []struct {
		rows int
		hs   []int
		want []int
	}{
		{20, heights512, []int{8, 8, 4}},
		{30, heights512, []int{8, 8, 8, 6}},
		{20, heights256, []int{6, 6, 4, 4}},
		{8, heights256, []int{4, 4}},
		{1, heights512, []int{4}},
		{13, heights512, []int{8, 6}},
		{120, heights512, []int{8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8}},
		{7, heightsGo, []int{4, 4}},
	} {
		got := planRows(tc.rows, tc.hs)
		if !slices.Equal(got, tc.want) {
			t.Errorf("planRows(%d, %v) = %v, want %v", tc.rows, tc.hs, got, tc.want)
		}
	}
}

func TestPanicsOnShortSlices(t *testing.T) {
	for name, f := range map[string]func(){
		"short c": func() {
			Mul(false, false, 4, 16, 8, 1, make([]float32, 32), 8, make([]float32, 128), 16, 0, make([]float32, 63), 16)
		},
		"short a": func() {
			Mul(false, false, 4, 16, 8, 1, make([]float32, 31), 8, make([]float32, 128), 16, 0, make([]float32, 64), 16)
		},
		"short b (trans)": func() {
			Mul(false, true, 4, 16, 8, 1, make([]float32, 32), 8, make([]float32, 127), 8, 0, make([]float32, 64), 16)
		},
		"negative":     func() { Mul(false, false, -1, 16, 8, 1, nil, 8, nil, 16, 0, nil, 16) },
		"short packed": func() { MulPacked(4, 16, 8, make([]float32, 32), 8, make([]float32, 127), make([]float32, 64), 16) },
		"short bias": func() {
			MulPackedBias(4, 16, 8, make([]float32, 32), 8, make([]float32, 128), make([]float32, 15), true, make([]float32, 64), 16)
		},
		"nil bias": func() {
			MulPackedBias(4, 16, 8, make([]float32, 32), 8, make([]float32, 128), nil, false, make([]float32, 64), 16)
		},
		// n = 128: a whole group of panels for the sparse kernels.
		"short a (sparse)": func() {
			MulPackedBiasSparse(4, 128, 8, make([]float32, 31), 8, make([]float32, 1024), make([]float32, 128), true, make([]float32, 512), 128)
		},
		"short c (sparse)": func() {
			MulPackedBiasSparse(4, 128, 8, make([]float32, 32), 8, make([]float32, 1024), make([]float32, 128), true, make([]float32, 511), 128)
		},
		"short bias (sparse)": func() {
			MulPackedBiasSparse(4, 128, 8, make([]float32, 32), 8, make([]float32, 1024), make([]float32, 127), true, make([]float32, 512), 128)
		},
		"negative (sparse)": func() {
			MulPackedBiasSparse(-1, 128, 8, nil, 8, make([]float32, 1024), make([]float32, 128), true, nil, 128)
		},
		"nil bias (sparse)": func() {
			MulPackedBiasSparse(4, 128, 8, make([]float32, 32), 8, make([]float32, 1024), nil, false, make([]float32, 512), 128)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func TestParseAndUse(t *testing.T) {
	all := []Path{Go, AVX2, AVX512, OpenBLAS, AVX512x32}
	for _, p := range all {
		q, err := ParsePath(p.String())
		if err != nil || q != p {
			t.Errorf("ParsePath(%q) = %v, %v", p, q, err)
		}
	}
	if q, err := ParsePath("Best"); err != nil || q != Best() {
		t.Errorf("ParsePath(Best) = %v, %v; Best() is %v", q, err, Best())
	}
	if _, err := ParsePath("sse"); err == nil {
		t.Error("ParsePath(sse) accepted")
	}
	// Before any choice Current and Use's previous path are Best().
	saved := current.Load()
	current.Store(auto)
	if prev, err := Use(Go); err != nil || prev != Best() {
		t.Errorf("Use(go) from no choice: previous %v, %v; Best() is %v", prev, err, Best())
	}
	current.Store(auto)
	if Current() != Best() {
		t.Errorf("Current() from no choice = %v, Best() %v", Current(), Best())
	}
	current.Store(saved)
	for _, p := range all {
		prev, err := Use(p)
		if (err == nil) != Supported(p) {
			t.Errorf("Use(%s): %v, Supported %v", p, err, Supported(p))
		}
		if err == nil {
			if Current() != p {
				t.Errorf("Use(%s) left %s", p, Current())
			}
			Use(prev)
		}
	}
}

func absSlice(s []float32) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(math.Abs(float64(v)))
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestEveryHeightHasKernels holds the paths' height lists to asmKernel's
// switch: each listed height has a column and a row kernel.
func TestEveryHeightHasKernels(t *testing.T) {
	for _, tc := range []struct {
		p  Path
		hs []int
	}{{AVX512, heights512}, {AVX2, heights256}} {
		if !Supported(tc.p) {
			continue
		}
		for _, h := range tc.hs {
			a, b, c := make([]float32, 8*h), make([]float32, 8*PanelWidth), make([]float32, h*PanelWidth)
			for _, rows := range []bool{false, true} {
				lda := h
				if rows {
					lda = 8
				}
				if !asmKernel(tc.p, rows, h, a, lda, b, 8, c, PanelWidth, 0, tiles{n: 1}) {
					t.Errorf("%s: no %d-row kernel (rows %v)", tc.p, h, rows)
				}
			}
		}
	}
}

// TestKernelRunsAreSingleTiles holds a kernel call over a run of tiles to
// the same tiles computed one call each, bit for bit, on every path and
// height, both kinds of op(a), with and without accumulating and
// prefetching: each tile's a and c are astep and cstep floats after the
// last, and nothing between the tiles' columns of c is written.
func TestKernelRunsAreSingleTiles(t *testing.T) {
	const k, run = 37, 3
	rng := rand.New(rand.NewPCG(7, 7))
	for _, tc := range []struct {
		p  Path
		hs []int
	}{{Go, heightsGo}, {AVX2, heights256}, {AVX512, heights512}} {
		if !Supported(tc.p) {
			continue
		}
		for _, h := range tc.hs {
			for _, rows := range []bool{false, true} {
				for _, acc := range []int{0, 1} {
					for _, pf := range []int{0, 2} {
						name := fmt.Sprintf("%s/h=%d/rows=%v/acc=%d/pf=%d", tc.p, h, rows, acc, pf)
						// op(a) of run·h rows: row-major (lda k+1) or
						// transposed (lda run·h+3), read in place.
						lda, astep := k+1, h*(k+1)
						if !rows {
							lda, astep = run*h+3, h
						}
						a := randSlice(rng, run*h*(k+1)+k*(run*h+3))
						b := randSlice(rng, k*PanelWidth)
						ldc := PanelWidth + 5
						c := randSlice(rng, run*h*ldc)
						want := slices.Clone(c)
						for i := range run {
							kernel(tc.p, rows, h, a[i*astep:], lda, b, k, want[i*h*ldc:], ldc, acc, tiles{n: 1})
						}
						kernel(tc.p, rows, h, a, lda, b, k, c, ldc, acc, tiles{n: run, astep: astep, cstep: h * ldc, prefetch: pf})
						for i := range c {
							if math.Float32bits(c[i]) != math.Float32bits(want[i]) {
								t.Fatalf("%s: c[%d] = %v, one tile at a time %v", name, i, c[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestPackTransposed holds the packing of a transposed op(b) (8×8 vector
// transposes, then four rows and one row at a time) to its definition,
// alpha·b[j·ldb+k0+q] at row q, column j of each panel, bit for bit, with
// zeros past the last column, on widths and depths around every step.
func TestPackTransposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 4, 7, 8, 9, 12, 15, 16, 17, 24, 33} {
		for _, kb := range []int{1, 7, 8, 9, 16, 31, 64} {
			for _, alpha := range []float32{1, -0.5} {
				const k0 = 3
				ldb := k0 + kb + 5
				b := randSlice(rng, n*ldb)
				b[0] = float32(math.NaN())
				panels := (n + PanelWidth - 1) / PanelWidth
				dst := randSlice(rng, panels*kb*PanelWidth)
				packBRange(dst, true, k0, kb, 0, panels, n, alpha, b, ldb)
				for p := range panels {
					for q := range kb {
						for j := range PanelWidth {
							var want float32
							if col := p*PanelWidth + j; col < n {
								want = alpha * b[col*ldb+k0+q]
							}
							if got := dst[(p*kb+q)*PanelWidth+j]; math.Float32bits(got) != math.Float32bits(want) {
								t.Fatalf("n=%d kb=%d alpha=%v: panel %d row %d column %d = %v, want %v", n, kb, alpha, p, q, j, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestRowPlanRuns holds each precomputed run to its plan: tiles t…t+run−1
// have tile t's height, and the next tile (if any) another.
func TestRowPlanRuns(t *testing.T) {
	for _, p := range []Path{Go, AVX2, AVX512} {
		plans := plansOf(p)
		for rows := 1; rows <= mBlock; rows++ {
			hs, runs := plans.heights[rows], plans.runs[rows]
			if len(runs) != len(hs) {
				t.Fatalf("%s rows=%d: %d runs for %d tiles", p, rows, len(runs), len(hs))
			}
			for i, run := range runs {
				end := i + run
				if run < 1 || end > len(hs) || (end < len(hs) && hs[end] == hs[i]) {
					t.Fatalf("%s rows=%d: run %d at tile %d of %v", p, rows, run, i, hs)
				}
				for _, h := range hs[i:end] {
					if h != hs[i] {
						t.Fatalf("%s rows=%d: run %d at tile %d of %v", p, rows, run, i, hs)
					}
				}
			}
		}
	}
}
