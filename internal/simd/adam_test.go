package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdamSameBitsAsScalar compares the vector update with the scalar
// form element by element: weights, gradients and moments of every scale
// (zero, subnormal, huge, ±Inf, NaN), lengths with and without a scalar
// tail, and the constants of early and late steps.
func TestAdamSameBitsAsScalar(t *testing.T) {
	if !Enabled() {
		t.Skip("no vector kernels on this CPU")
	}
	steps := []struct {
		name           string
		lr, decay, eps float64
		b1, b2         float64
		step           int
	}{
		{"first step", 3e-4, 0.01, 1e-8, 0.9, 0.999, 1},
		{"late step", 5e-4, 0.01, 1e-8, 0.9, 0.999, 20000},
		{"large eps and decay", 1e-2, 0.5, 1e-3, 0.5, 0.9, 3},
	}
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-40, -1e-40, 1e30, -1e30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1, -1}
	rng := rand.New(rand.NewPCG(7, 8))
	draw := func() float32 {
		if rng.IntN(8) == 0 {
			return special[rng.IntN(len(special))]
		}
		return float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-8)))
	}
	for _, s := range steps {
		k := &AdamStep{B1: float32(s.b1), C1: float32(1 - s.b1), B2: float32(s.b2), C2: float32(1 - s.b2),
			Decay:    float32(1 - s.lr*s.decay),
			StepSize: s.lr / (1 - math.Pow(s.b1, float64(s.step))), SqrtBC2: math.Sqrt(1 - math.Pow(s.b2, float64(s.step))),
			Eps: s.eps}
		for _, n := range []int{0, 1, 7, 8, 9, 16, 61, 1000} {
			w, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range n {
				w[i], g[i], m[i] = draw(), draw(), draw()
				v[i] = float32(math.Abs(float64(draw()))) // a second moment is ≥ 0
			}
			w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
			Adam(w, g, m, v, k)
			adamScalar(w2, g, m2, v2, k)
			for i := range n {
				if !sameBits(w[i], w2[i]) || !sameBits(m[i], m2[i]) || !sameBits(v[i], v2[i]) {
					t.Fatalf("%s, n=%d, element %d (g=%g): vector w,m,v = %g,%g,%g, scalar %g,%g,%g",
						s.name, n, i, g[i], w[i], m[i], v[i], w2[i], m2[i], v2[i])
				}
			}
		}
	}
}

func TestAdamRejectsMismatchedLengths(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for slices of different lengths")
		}
	}()
	Adam(make([]float32, 8), make([]float32, 7), make([]float32, 8), make([]float32, 8), &AdamStep{})
}

// sameBits reports whether a and b are the same float32 bits, or both NaN
// (whose payload the scalar and vector forms may propagate differently).
func sameBits(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}
