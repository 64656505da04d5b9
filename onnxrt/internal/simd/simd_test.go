package simd

import (
	"math"
	"testing"
)

func gelu(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }

// TestKernels compares every kernel with its float64 definition on lengths
// around the vector width.
func TestKernels(t *testing.T) {
	for _, n := range []int{0, 7, 8, 9, 1000} {
		x := make([]float32, n)
		bias := make([]float32, n)
		for i := range x {
			x[i] = float32(i-n/2) * 0.013 * float32(1+i%5)
			bias[i] = float32(i%7) * 0.1
		}
		for _, k := range []struct {
			name string
			run  func(dst []float32) int
			want func(i int) float64
		}{
			{"GELU", func(dst []float32) int { return GELU(dst, x) }, func(i int) float64 { return gelu(float64(x[i])) }},
			{"BiasGELU", func(dst []float32) int { copy(dst, x); return BiasGELU(dst, bias) }, func(i int) float64 { return gelu(float64(x[i] + bias[i])) }},
			{"ReLU", func(dst []float32) int { return ReLU(dst, x) }, func(i int) float64 { return math.Max(float64(x[i]), 0) }},
			{"BiasReLU", func(dst []float32) int { copy(dst, x); return BiasReLU(dst, bias) }, func(i int) float64 { return math.Max(float64(x[i]+bias[i]), 0) }},
		} {
			dst := make([]float32, n)
			done := k.run(dst)
			if Enabled() && done != n&^7 {
				t.Fatalf("%s n=%d: did %d elements, want %d", k.name, n, done, n&^7)
			}
			for i := 0; i < done; i++ {
				if d := math.Abs(float64(dst[i]) - k.want(i)); d > 1e-6*math.Max(1, math.Abs(k.want(i))) {
					t.Fatalf("%s n=%d: element %d = %g, want %g", k.name, n, i, dst[i], k.want(i))
				}
			}
		}
	}
	t.Logf("vector kernels enabled: %t", Enabled())
}
