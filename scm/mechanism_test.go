package scm

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestMechanismClosedForms(t *testing.T) {
	clip := func(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
	tests := []struct {
		m    Mechanism
		name string
		f    func(x float64) float64
	}{
		{Linear, "linear", func(x float64) float64 { return 2 * x }},
		{NegLinear, "negative linear", func(x float64) float64 { return -2 * x }},
		{Sin, "sin", math.Sin},
		{Cos, "cos", math.Cos},
		{Tanh, "tan", math.Tanh},
		{Log, "log", func(x float64) float64 { return math.Log(math.Abs(x) + 1e-5) }},
		{Exp, "exp", func(x float64) float64 { return math.Exp(clip(x, -5, 5)) }},
		{Sqrt, "sqrt", func(x float64) float64 { return math.Sqrt(math.Abs(x)) }},
		{Quadratic, "quadratic", func(x float64) float64 { c := clip(x, -5, 5); return c * c }},
		{Cubic, "cubic", func(x float64) float64 { c := clip(x, -3, 3); return math.Pow(c, 3) }},
	}
	if len(tests) != len(Mechanisms()) {
		t.Fatalf("%d closed forms for %d mechanisms", len(tests), len(Mechanisms()))
	}
	xs := []float64{-25, -20, -10, -5.5, -5, -3.2, -3, -1, -0.7, -0.1, -1e-7, 0, 1e-7, 0.3, 0.625, 1, 2.5, 3, 4.9, 5, 7, 20, 100}
	r := rand.New(rand.NewPCG(1, 1))
	for range 2000 {
		xs = append(xs, 40*r.Float64()-20)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.String(); got != tc.name {
				t.Errorf("String() = %q, want %q", got, tc.name)
			}
			if back, err := ParseMechanism(tc.name); err != nil || back != tc.m {
				t.Errorf("ParseMechanism(%q) = %v, %v", tc.name, back, err)
			}
			dst := make([]float64, len(xs))
			addTerm(dst, xs, tc.m, 1)
			for i, x := range xs {
				want := tc.f(x)
				got := tc.m.Apply(x)
				// 4e-16 relative is 2 ulp; the absolute floor covers values near 0.
				if math.Abs(got-want) > 4e-16*math.Abs(want)+1e-300 && math.Abs(got-want) > 1e-16 {
					t.Errorf("Apply(%v) = %v, closed form %v", x, got, want)
				}
				if dst[i] != got {
					t.Errorf("sampler term at %v = %v, Apply = %v (must be identical)", x, dst[i], got)
				}
			}
		})
	}
	if _, err := ParseMechanism("tangent"); err == nil {
		t.Error("ParseMechanism accepted an unknown name")
	}
}

func TestMechanismWeightedTerm(t *testing.T) {
	xs := []float64{-3, -0.5, 0.25, 2, 9}
	for _, m := range Mechanisms() {
		dst := []float64{1, 1, 1, 1, 1}
		addTerm(dst, xs, m, -1.5)
		for i, x := range xs {
			if want := 1 - 1.5*m.Apply(x); math.Abs(dst[i]-want) > 1e-12*math.Max(1, math.Abs(want)) {
				t.Errorf("%v: 1 + (−1.5)·f(%v) = %v, want %v", m, x, dst[i], want)
			}
		}
	}
}

func TestMechanismText(t *testing.T) {
	for _, m := range Mechanisms() {
		b, err := m.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Mechanism
		if err := back.UnmarshalText(b); err != nil || back != m {
			t.Errorf("%v: text round trip gave %v, %v", m, back, err)
		}
	}
	if _, err := Mechanism(200).MarshalText(); err == nil {
		t.Error("MarshalText accepted an invalid mechanism")
	}
}

// TestFastMath holds expFast, logFast and tanhFast to 2 ulp of the math
// package over the ranges the sampler uses.
func TestFastMath(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	ulp2 := func(got, want float64) bool {
		return math.Abs(got-want) <= 2*math.Abs(math.Nextafter(want, math.Inf(1))-want)
	}
	for i := range 200000 {
		x := 90*r.Float64() - 45
		if i < 1000 {
			x = float64(i-500) / 100 // dense near 0
		}
		if got, want := expFast(x), math.Exp(x); !ulp2(got, want) {
			t.Fatalf("expFast(%v) = %v, math.Exp = %v", x, got, want)
		}
		if got, want := tanhFast(x), math.Tanh(x); !ulp2(got, want) {
			t.Fatalf("tanhFast(%v) = %v, math.Tanh = %v", x, got, want)
		}
		y := math.Abs(x)*math.Exp(40*r.Float64()-20) + 1e-5
		if got, want := logFast(y), math.Log(y); !ulp2(got, want) {
			t.Fatalf("logFast(%v) = %v, math.Log = %v", y, got, want)
		}
	}
	for _, y := range []float64{1e-5, 0.5, math.Sqrt2 / 2, 1, math.Sqrt2, 2, 1e10} {
		if got, want := logFast(y), math.Log(y); !ulp2(got, want) {
			t.Errorf("logFast(%v) = %v, math.Log = %v", y, got, want)
		}
	}
}

// TestAddTermSameBitsAsScalar: addTerm's vector kernels (package simd) give
// every element the bits of Apply's scalar form, for every mechanism, on
// random values of every scale the sampler meets, on the special values
// (±0, the branch points of tanh, exp's clamp, the octant edges of sin and
// cos, values beyond the kernels' domains: NaN, ±Inf, 2^29) and on lengths
// that leave a scalar tail.
func TestAddTermSameBitsAsScalar(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	special := []float64{0, math.Copysign(0, -1), 0.625, -0.625, math.Nextafter(0.625, 0), 22, -22, 21.99, 5, -5, 5.01, -5.01,
		math.Pi / 4, math.Pi / 2, math.Pi, -3 * math.Pi / 4, 1 << 29, -(1 << 29), math.Nextafter(1<<29, 0), 1e-300, 20, -20,
		math.NaN(), math.Inf(1), math.Inf(-1), 1e300}
	var src []float64
	src = append(src, special...)
	for i := range 40000 {
		scale := math.Exp(12*r.Float64() - 6) // 0.0025 to 400
		if i%4 == 0 {
			scale = 20
		}
		src = append(src, (2*r.Float64()-1)*scale)
	}
	for _, n := range []int{0, 3, 4, 7, 9, len(special), len(src)} {
		for m := range numMechanisms {
			base := make([]float64, n)
			for i := range base {
				base[i] = r.NormFloat64()
			}
			got := append([]float64(nil), base...)
			addTerm(got, src[:n], m, -1.7)
			for i := range n {
				want := base[i] + -1.7*m.Apply(src[i])
				if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
					t.Fatalf("%v n=%d: element %d (x = %v): %v, the scalar form gives %v", m, n, i, src[i], got[i], want)
				}
			}
		}
	}
}
