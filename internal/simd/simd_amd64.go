//go:build amd64 && !purego

package simd

import "golang.org/x/sys/cpu"

var hasAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// Enabled reports whether the vector kernels run on this CPU.
func Enabled() bool { return hasAVX2FMA }

// The kernels process the first len(dst)&^7 elements, eight at a time.
// They are implemented in kernels_amd64.s.

//go:noescape
func geluAVX2(dst, x []float32)

//go:noescape
func biasGELUAVX2(dst, bias []float32)

//go:noescape
func reluAVX2(dst, x []float32)

//go:noescape
func expAVX2(dst, x []float32)

//go:noescape
func geluBothAVX2(y, d, x, m []float32)

//go:noescape
func reluDropAVX2(y, d, z, m []float32)

//go:noescape
func biasRowsAVX2(c []float32, ldc, rows int, bias []float32, relu int)

//go:noescape
func layerNormAVX2(dst, src, w, b []float32, eps, fd float64)

//go:noescape
func adamAVX2(w, g, m, v []float32, k *AdamStep)

// The SCM mechanisms' float64 kernels (mech_amd64.s) process groups of
// four from the start and return how many elements they did.

//go:noescape
func addSinAVX2(dst, src []float64, w float64) int

//go:noescape
func addCosAVX2(dst, src []float64, w float64) int

//go:noescape
func addExpClampedAVX2(dst, src []float64, w float64) int

//go:noescape
func addLogAbsAVX2(dst, src []float64, w float64) int

//go:noescape
func addTanhAVX2(dst, src []float64, w float64) int
