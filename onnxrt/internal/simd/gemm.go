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
		// kb columns stay in L2).
		for p, j0 := 0, 0; j0 < n; p, j0 = p+1, j0+PanelWidth {
			for i := 0; i < m; i += 4 {
				panelPass(min(4, m-i), n, j0, kb, a[i*lda+k0:], lda, &packed[(p*k+k0)*PanelWidth], c[i*ldc:], ldc, acc)
			}
		}
	}
	return true
}

// panelPass runs one kBlock pass of one panel (columns j0…j0+15, of n) over
// rows ≤ 4 rows of a (stride lda) into c (stride ldc).
func panelPass(rows, n, j0, kb int, a []float32, lda int, b *float32, c []float32, ldc int, acc int) {
	width := n - j0
	if width >= PanelWidth {
		if rows == 4 {
			gemm4x16AVX2(&a[0], lda, b, kb, &c[j0], ldc, acc)
			return
		}
		for r := range rows {
			gemm1x16AVX2(&a[r*lda], b, kb, &c[r*ldc+j0], acc)
		}
		return
	}
	// A partial last panel goes through a whole tile; only width columns
	// are kept.
	var tile [4 * PanelWidth]float32
	for r := range rows {
		copy(tile[r*PanelWidth:r*PanelWidth+width], c[r*ldc+j0:r*ldc+n])
	}
	if rows == 4 {
		gemm4x16AVX2(&a[0], lda, b, kb, &tile[0], PanelWidth, acc)
	} else {
		for r := range rows {
			gemm1x16AVX2(&a[r*lda], b, kb, &tile[r*PanelWidth], acc)
		}
	}
	for r := range rows {
		copy(c[r*ldc+j0:r*ldc+n], tile[r*PanelWidth:r*PanelWidth+width])
	}
}
