package simd

import (
	"fmt"
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
			{"Exp", func(dst []float32) int { return Exp(dst, x) }, func(i int) float64 { return math.Exp(float64(x[i])) }},
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

// TestExp checks Exp and Exp32 against math.Exp (relative error below
// 3e-7, Cephes's bound, plus float32 rounding of the result) over the
// whole range, and their special values: 0 below −87.3, saturation above
// 88.3, NaN for NaN; and that the vector and scalar forms agree within an
// ulp.
func TestExp(t *testing.T) {
	var x []float32
	for v := -90.0; v <= 90; v += 0.0173 {
		x = append(x, float32(v))
	}
	x = append(x, 0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(-1)), float32(math.Inf(1)), -87.29, -87.31, 88.29)
	for len(x)%8 != 0 {
		x = append(x, 1)
	}
	vec := make([]float32, len(x))
	done := Exp(vec, x)
	for i, v := range x {
		s := Exp32(v)
		want := math.Exp(float64(v))
		switch {
		case v != v:
			if s == s || (done > i && vec[i] == vec[i]) {
				t.Fatalf("exp(NaN) = %v (scalar), %v (vector)", s, vec[i])
			}
			continue
		case v < -87.3:
			want = 0
		case v > 88.3:
			want = math.Exp(float64(float32(88.3)))
		}
		if d := math.Abs(float64(s) - want); d > 4e-7*want {
			t.Fatalf("Exp32(%v) = %v, want %v (relative error %.2g)", v, s, want, d/want)
		}
		if i < done {
			if d := math.Abs(float64(vec[i]) - float64(s)); d > float64(math.Nextafter32(s, float32(math.Inf(1)))-s) {
				t.Fatalf("Exp(%v) = %v, Exp32 %v: more than an ulp apart", v, vec[i], s)
			}
		}
	}
}

func TestSoftmaxRows(t *testing.T) {
	for _, n := range []int{1, 3, 8, 20, 50} {
		rows := 7
		s := make([]float32, rows*n)
		for i := range s {
			s[i] = float32((i*37)%23) - 11 + float32(i%3)*0.25
		}
		orig := append([]float32(nil), s...)
		SoftmaxRows(s, n)
		for r := range rows {
			mx := math.Inf(-1)
			for _, v := range orig[r*n : (r+1)*n] {
				mx = math.Max(mx, float64(v))
			}
			var sum float64
			for _, v := range orig[r*n : (r+1)*n] {
				sum += math.Exp(float64(v) - mx)
			}
			for j := range n {
				want := math.Exp(float64(orig[r*n+j])-mx) / sum
				if d := math.Abs(float64(s[r*n+j]) - want); d > 1e-6*want+1e-9 {
					t.Fatalf("n=%d row %d col %d: %v, want %v", n, r, j, s[r*n+j], want)
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic on a ragged matrix")
		}
	}()
	SoftmaxRows(make([]float32, 7), 3)
}

func ExampleSoftmaxRows() {
	s := []float32{0, 0, 1, 1, 1, 1}
	SoftmaxRows(s, 2) // rows of two: each row becomes (0.5, 0.5)
	fmt.Println(s)
	// Output: [0.5 0.5 0.5 0.5 0.5 0.5]
}

// TestGELUBoth checks the fused GELU and derivative against float64
// formulas, with and without a mask, over the range where they change
// (and beyond, where they are x·1 or 0).
func TestGELUBoth(t *testing.T) {
	var x, m []float32
	for v := -12.0; v <= 12; v += 0.00731 {
		x = append(x, float32(v))
		m = append(m, float32(len(m)%3)*0.5)
	}
	x = append(x, float32(math.Inf(1)), float32(math.Inf(-1)), 8, -8, 8.001, -8.001)
	x = x[:len(x)&^7]
	m = m[:len(x)]
	for _, mask := range []bool{false, true} {
		y, d := make([]float32, len(x)), make([]float32, len(x))
		var mm []float32
		if mask {
			mm = m
		}
		if done := GELUBoth(y, d, x, mm); Enabled() && done != len(x) {
			t.Fatalf("did %d of %d", done, len(x))
		} else if !Enabled() {
			t.Skip("no AVX2+FMA")
		}
		for i, v := range x {
			xv := float64(v)
			w0 := 1.0
			if mask {
				w0 = float64(m[i])
			}
			if math.IsInf(xv, 0) {
				if wy, wd := math.Max(xv, 0)*w0, 0.0; xv > 0 {
					wd = w0
					if float64(y[i]) != wy && w0 != 0 || float64(d[i]) != wd {
						t.Fatalf("GELUBoth(+Inf)·%v = %v, %v", w0, y[i], d[i])
					}
				} else if y[i] != 0 || d[i] != 0 {
					t.Fatalf("GELUBoth(-Inf) = %v, %v, want 0, 0", y[i], d[i])
				}
				continue
			}
			cdf := 0.5 * (1 + math.Erf(xv/math.Sqrt2))
			pdf := math.Exp(-xv*xv/2) / math.Sqrt(2*math.Pi)
			w := 1.0
			if mask {
				w = float64(m[i])
			}
			wantY, wantD := xv*cdf*w, (cdf+xv*pdf)*w
			tol := 1e-6 * math.Max(1, math.Abs(xv))
			if math.Abs(float64(y[i])-wantY) > tol || math.Abs(float64(d[i])-wantD) > tol {
				t.Fatalf("mask %v x=%v: y %v d %v, want %v %v (±%g)", mask, v, y[i], d[i], wantY, wantD, tol)
			}
		}
	}
}

func TestReLUDrop(t *testing.T) {
	z := []float32{-2, float32(math.Copysign(0, -1)), 0, 0.5, 3, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 7, -7, 1e-30, -1e-30, 2, 2, 2, 2}
	m := []float32{2, 2, 2, 2, 0, 2, 2, 2, 1, 1, 2, 2, 0, 1, 2, 3}
	y, d := make([]float32, len(z)), make([]float32, len(z))
	done := ReLUDrop(y, d, z, m)
	if Enabled() && done != len(z) {
		t.Fatalf("did %d of %d", done, len(z))
	}
	for i := range z[:done] {
		wy, wd := float32(0), float32(0)
		if z[i] > 0 {
			wy, wd = z[i]*m[i], m[i]
		}
		if math.Float32bits(y[i]) != math.Float32bits(wy) || math.Float32bits(d[i]) != math.Float32bits(wd) {
			t.Errorf("z=%v m=%v: y %v d %v, want %v %v", z[i], m[i], y[i], d[i], wy, wd)
		}
	}
}

// TestMechanismKernelsCoverage: on values inside their domains the float64
// mechanism kernels do every whole group of four, and each stops before
// the first group holding a value outside its domain (scm's
// TestAddTermSameBitsAsScalar checks their bits).
func TestMechanismKernelsCoverage(t *testing.T) {
	if !Enabled() || scalarFuses {
		t.Skip("no vector kernels on this CPU, or a build whose scalar forms fuse (they are not used)")
	}
	for _, k := range []struct {
		name    string
		run     func(dst, src []float64) int
		outside float64
	}{
		{"AddSin", func(d, s []float64) int { return AddSin(d, s, 2) }, 1 << 29},
		{"AddCos", func(d, s []float64) int { return AddCos(d, s, 2) }, math.Inf(-1)},
		{"AddExpClamped", func(d, s []float64) int { return AddExpClamped(d, s, 2) }, math.NaN()},
		{"AddLogAbs", func(d, s []float64) int { return AddLogAbs(d, s, 2) }, math.Inf(1)},
		{"AddTanh", func(d, s []float64) int { return AddTanh(d, s, 2) }, math.NaN()},
	} {
		for _, n := range []int{3, 4, 10, 101} {
			src := make([]float64, n)
			for i := range src {
				src[i] = float64(i-n/2) * 0.37
			}
			dst := make([]float64, n)
			if got := k.run(dst, src); got != n&^3 && !(n < 4 && got == 0) {
				t.Errorf("%s n=%d: did %d, want %d", k.name, n, got, n&^3)
			}
			if n >= 10 {
				src[5] = k.outside
				if got := k.run(dst, src); got != 4 {
					t.Errorf("%s n=%d with %v at 5: did %d, want 4", k.name, n, k.outside, got)
				}
			}
		}
	}
}
