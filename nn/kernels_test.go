package nn

import (
	"causeway/internal/simd"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestGELUAccuracy(t *testing.T) {
	var worstY, worstD float64
	xs := make([]float32, 0, 200001)
	for x := -12.0; x <= 12; x += 0.00012 {
		xs = append(xs, float32(x))
	}
	xs = append(xs, float32(math.Inf(1)), float32(math.Inf(-1)))
	y, d := make([]float32, len(xs)), make([]float32, len(xs))
	geluSlice(xs, y, d)
	// The forward-only and masked kernels agree with the full one.
	yf := make([]float32, len(xs))
	geluSlice(xs, yf, nil)
	m := make([]float32, len(xs))
	for i := range m {
		m[i] = float32(i % 3) // 0, 1, 2
	}
	ym, dm := make([]float32, len(xs)), make([]float32, len(xs))
	geluDropSlice(xs, m, ym, dm)
	for i := range xs {
		if yf[i] != y[i] || ym[i] != y[i]*m[i] || dm[i] != d[i]*m[i] {
			t.Fatalf("kernels disagree at x=%g: %g %g %g / %g %g", xs[i], y[i], yf[i], ym[i], d[i], dm[i])
		}
	}
	for i, xf := range xs {
		x := float64(xf)
		phi := 0.5 * math.Erfc(-x/math.Sqrt2)
		wantY := x * phi
		wantD := phi + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
		if math.IsInf(x, 0) {
			if (x > 0 && y[i] != xf) || (x < 0 && y[i] != 0) {
				t.Errorf("GELU(%g) = %g", x, y[i])
			}
			continue
		}
		if gy, gd := geluExact(x); !simd.Enabled() && (float32(gy) != y[i] || float32(gd) != d[i]) {
			t.Fatalf("geluSlice and geluExact disagree at %g", x) // the scalar path is geluExact
		}
		// float32 output: allow its rounding plus 1e-7 of the function's scale
		worstY = math.Max(worstY, math.Abs(float64(y[i])-wantY)/math.Max(1, math.Abs(x)))
		worstD = math.Max(worstD, math.Abs(float64(d[i])-wantD))
	}
	t.Logf("worst |GELU − x·Φ(x)|/max(1,|x|) %.3g, worst derivative error %.3g", worstY, worstD)
	// The scalar table path is within 2e-7; the AVX2 path (the erf of
	// simd.GELU, whose rational approximation is good to about 1e-6, and
	// exp for φ) within 1e-6, ample beside float32's 6e-8 relative rounding
	// of the activations themselves.
	limit := 2e-7
	if simd.Enabled() {
		limit = 1e-6
	}
	if worstY > limit || worstD > limit {
		t.Errorf("GELU error %.3g, derivative error %.3g: want ≤ %g", worstY, worstD, limit)
	}
}

// TestAcyclicityFD checks ∂h/∂A = 2·A∘exp(A∘A/c)ᵀ in float64 against
// central differences (h = 1e-6: truncation ~1e-12 relative; rounding
// 4ε₆₄·|h(A)|/h absolute, large when h(A) is), for c = 1 and c > 1.
func TestAcyclicityFD(t *testing.T) {
	for _, n := range []int{5, 50, 120} {
		rng := rand.New(rand.NewPCG(uint64(n), 1))
		a := make([]float64, n*n)
		for i := range a {
			if i/n != i%n {
				a[i] = rng.Float64()
			}
		}
		e := mat.NewDense(n, n, nil)
		acyclicity(a, n, e)
		for k := 0; k < 20; k++ {
			i, j := rng.IntN(n), rng.IntN(n)
			analytic := 2 * a[i*n+j] * e.At(j, i)
			orig := a[i*n+j]
			const h = 1e-6
			a[i*n+j] = orig + h
			up := acyclicity(a, n, mat.NewDense(n, n, nil))
			noise := 4 * 0x1p-52 * math.Abs(up) / h
			a[i*n+j] = orig - h
			down := acyclicity(a, n, mat.NewDense(n, n, nil))
			a[i*n+j] = orig
			fd := (up - down) / (2 * h)
			if math.Abs(analytic-fd) > 1e-6*math.Max(1, math.Abs(fd))+noise {
				t.Errorf("N=%d (c=%g): dh/dA[%d,%d] analytic %.9g, finite difference %.9g", n, acyclicityScale(n), i, j, analytic, fd)
			}
		}
	}
}

func TestAcyclicityValues(t *testing.T) {
	const n = 6
	dag := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			dag[i*n+j] = 0.9
		}
	}
	e := mat.NewDense(n, n, nil)
	if h := acyclicity(dag, n, e); math.Abs(h) > 1e-12 {
		t.Errorf("h(DAG) = %g, want 0", h)
	}
	cyc := append([]float64(nil), dag...)
	cyc[5*n+0] = 0.9
	if h := acyclicity(cyc, n, e); h < 0.1 {
		t.Errorf("h(cycle) = %g, want clearly positive", h)
	}
	// c = 1 for N ≤ 50: exactly the notebook's tr(exp(A∘A)) − N.
	rng := rand.New(rand.NewPCG(3, 3))
	a := make([]float64, 30*30)
	s := mat.NewDense(30, 30, nil)
	for i := range a {
		if i/30 != i%30 {
			a[i] = rng.Float64()
			s.RawMatrix().Data[i] = a[i] * a[i]
		}
	}
	var ex mat.Dense
	ex.Exp(s)
	want := mat.Trace(&ex) - 30
	if got := acyclicity(a, 30, mat.NewDense(30, 30, nil)); math.Abs(got-want) > 1e-9*want {
		t.Errorf("N=30: h = %g, notebook formula %g", got, want)
	}
	// Dense σ(L) at N = 100 overflows the notebook's float32 form; the
	// scaled form stays finite in float32.
	d := make([]float64, 100*100)
	for i := range d {
		if i/100 != i%100 {
			d[i] = 1
		}
	}
	h := acyclicity(d, 100, mat.NewDense(100, 100, nil))
	if math.IsInf(float64(float32(h)), 0) || math.IsNaN(h) {
		t.Errorf("N=100 dense: h = %g, want finite in float32", h)
	}
}
