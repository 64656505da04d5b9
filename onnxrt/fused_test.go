package onnxrt

import (
	"math"
	"testing"
)

// TestErf32 checks the float32 erf approximation against math.Erf.
func TestErf32(t *testing.T) {
	var worst float64
	for x := -6.0; x <= 6; x += 1e-4 {
		d := math.Abs(float64(erf32(float32(x))) - math.Erf(float64(float32(x))))
		worst = math.Max(worst, d)
	}
	if worst > 1e-6 {
		t.Errorf("max |erf32 − math.Erf| = %.3g, want ≤ 1e-6", worst)
	}
	if erf32(float32(math.Inf(1))) != 1 || erf32(float32(math.Inf(-1))) != -1 {
		t.Errorf("erf32(±Inf) = %v, %v", erf32(float32(math.Inf(1))), erf32(float32(math.Inf(-1))))
	}
}

// TestGELU compares geluInto (SIMD where the CPU has it, then the scalar
// tail) with the exact GELU.
func TestGELU(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 31, 1000} {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(i-n/2) * 0.013 * float32(1+i%5)
		}
		dst := make([]float32, n)
		geluInto(dst, x)
		for i, v := range x {
			want := 0.5 * float64(v) * (1 + math.Erf(float64(v)/math.Sqrt2))
			if d := math.Abs(float64(dst[i]) - want); d > 1e-6*math.Max(1, math.Abs(want)) {
				t.Fatalf("n=%d: gelu(%g) = %g, want %g ", n, v, dst[i], want)
			}
		}
	}
}
