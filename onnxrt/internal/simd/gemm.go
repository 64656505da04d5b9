package simd

// PanelWidth is how many output columns one packed panel holds.
const PanelWidth = 16

// PackedLen returns the length of Pack's result for a k×n matrix.
func PackedLen(k, n int) int { return (n + PanelWidth - 1) / PanelWidth * PanelWidth * k }

// Pack lays out the k×n row-major matrix w for GemmPacked: ⌈n/16⌉ panels,
// each k rows of 16 consecutive columns (the last one zero-padded), so
// that the kernel streams a panel from memory once and in order. Weights
// are packed once, when a model loads, instead of by BLAS on every call.
func Pack(w []float32, k, n int) []float32 {
	out := make([]float32, PackedLen(k, n))
	for p, j0 := 0, 0; j0 < n; p, j0 = p+1, j0+PanelWidth {
		width := min(PanelWidth, n-j0)
		panel := out[p*k*PanelWidth:]
		for r := 0; r < k; r++ {
			copy(panel[r*PanelWidth:r*PanelWidth+width], w[r*n+j0:r*n+j0+width])
		}
	}
	return out
}

// kBlock is how much of the inner dimension one pass covers: a panel's
// block (kBlock×16 floats, 8 KiB) stays in L1 while the rows go by, and
// the rows' blocks (kBlock floats each) stay in L2 from panel to panel.
const kBlock = 128

// GemmPacked sets c[i·ldc+j] = Σ_p a[i·lda+p]·w[p·n+j] for i < m, j < n,
// where packed = Pack(w, k, n), and reports true; without vector support
// it does nothing and reports false (the caller then uses BLAS). Every
// output is the same sequence of fused multiply-adds over p = 0…k−1, so
// a row's result does not depend on m or on its position. It panics if a
// slice is too short.
func GemmPacked(m, n, k int, a []float32, lda int, packed []float32, c []float32, ldc int) bool {
	if !Enabled() {
		return false
	}
	if m == 0 || n == 0 {
		return true
	}
	if k == 0 {
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
		return true
	}
	if lda < k || ldc < n || len(a) < (m-1)*lda+k || len(c) < (m-1)*ldc+n || len(packed) < PackedLen(k, n) {
		panic("simd: GemmPacked: slice too short for the shape")
	}
	for k0 := 0; k0 < k; k0 += kBlock {
		kb, acc := min(kBlock, k-k0), 0
		if k0 > 0 {
			acc = 1 // continue the sums of the previous passes
		}
		// Each panel block (kb×16, in L1) in turn through all rows (whose
		// kb columns stay in L2), six rows at a time, then four (so that
		// 20 rows are 6+6+4+4), then one.
		for p, j0 := 0, 0; j0 < n; p, j0 = p+1, j0+PanelWidth {
			b := &packed[(p*k+k0)*PanelWidth]
			for i := 0; i < m; {
				rows := 1
				switch left := m - i; {
				case left >= 6 && left != 8:
					rows = 6
				case left >= 4:
					rows = 4
				}
				panelPass(rows, n, j0, kb, a[i*lda+k0:], lda, b, c[i*ldc:], ldc, acc)
				i += rows
			}
		}
	}
	return true
}

// panelPass runs one kBlock pass of one panel (columns j0…j0+15, of n) over
// rows (1, 4 or 6) rows of a (stride lda) into c (stride ldc).
func panelPass(rows, n, j0, kb int, a []float32, lda int, b *float32, c []float32, ldc int, acc int) {
	if n-j0 >= PanelWidth {
		kernel(rows, a, lda, b, kb, c[j0:], ldc, acc)
		return
	}
	// A partial last panel goes through a whole tile; only its columns
	// are kept.
	width := n - j0
	var tile [6 * PanelWidth]float32
	for r := range rows {
		copy(tile[r*PanelWidth:r*PanelWidth+width], c[r*ldc+j0:r*ldc+n])
	}
	kernel(rows, a, lda, b, kb, tile[:], PanelWidth, acc)
	for r := range rows {
		copy(c[r*ldc+j0:r*ldc+n], tile[r*PanelWidth:r*PanelWidth+width])
	}
}

// kernel computes a rows×16 tile (rows 1, 4 or 6) at c.
func kernel(rows int, a []float32, lda int, b *float32, kb int, c []float32, ldc int, acc int) {
	switch rows {
	case 6:
		gemm6x16AVX2(&a[0], lda, b, kb, &c[0], ldc, acc)
	case 4:
		gemm4x16AVX2(&a[0], lda, b, kb, &c[0], ldc, acc)
	default:
		gemm1x16AVX2(&a[0], b, kb, &c[0], acc)
	}
}
