//go:build !amd64 || purego

package gemm

const (
	hasAVX2   = false
	hasAVX512 = false
)

// asmKernel reports false: there are no assembly kernels on this platform.
func asmKernel(p Path, rows bool, h int, a []float32, lda int, b []float32, k int, c []float32, ldc int, acc int, t tiles) bool {
	return false
}

// peakLoop returns 0: no vector peak loop on this platform.
func peakLoop(p Path, n int) float64 { return 0 }

// copyRows16 reports false: no vector copy on this platform.
func copyRows16(dst, src []float32, n, ld int) bool { return false }

// prefetchL2 does nothing on this platform.
func prefetchL2(p *float32, lines int) {}

// transpose8 reports false: no vector transpose on this platform.
func transpose8(dst, src []float32, ld, n int, alpha float32) bool { return false }

// sparseShape reports no sparse kernel on this platform.
func sparseShape(p Path) (panels, steps int, ok bool) { return 0, 0, false }

// sparseKernel is never called on this platform (sparseShape says none).
func sparseKernel(p Path, a []float32, lda int, masks []byte, ldm int, b []float32, pstride, steps int, s []float32, lds, rows, flags int, c []float32, ldc int, bias []float32) {
	panic("gemm: no sparse kernel on this platform")
}

// nonzeroChunks reports false: no vector masks on this platform.
func nonzeroChunks(dst []byte, ldm int, a []float32, lda, rows, k int) bool { return false }

// asmPairKernel reports false: no assembly kernels on this platform.
func asmPairKernel(rows bool, a []float32, lda int, b []float32, pstride, k int, c []float32, ldc int, acc int, t tiles) bool {
	return false
}
