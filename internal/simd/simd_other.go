//go:build !amd64 || purego

package simd

// Enabled reports whether the vector kernels run on this CPU.
func Enabled() bool { return false }

func geluAVX2(dst, x []float32)        { panic("simd: no vector kernels on this platform") }
func biasGELUAVX2(dst, bias []float32) { panic("simd: no vector kernels on this platform") }
func reluAVX2(dst, x []float32)        { panic("simd: no vector kernels on this platform") }

func expAVX2(dst, x []float32) { panic("simd: no vector kernels on this platform") }

func geluBothAVX2(y, d, x, m []float32) { panic("simd: no vector kernels on this platform") }

func reluDropAVX2(y, d, z, m []float32) { panic("simd: no vector kernels on this platform") }

func biasRowsAVX2(c []float32, ldc, rows int, bias []float32, relu int) {
	panic("simd: no vector kernels on this platform")
}

func layerNormAVX2(dst, src, w, b []float32, eps, fd float64) {
	panic("simd: no vector kernels on this platform")
}

func adamAVX2(w, g, m, v []float32, k *AdamStep) { panic("simd: no vector kernels on this platform") }

func addSinAVX2(dst, src []float64, w float64) int        { return 0 }
func addCosAVX2(dst, src []float64, w float64) int        { return 0 }
func addExpClampedAVX2(dst, src []float64, w float64) int { return 0 }
func addLogAbsAVX2(dst, src []float64, w float64) int     { return 0 }
func addTanhAVX2(dst, src []float64, w float64) int       { return 0 }
