package nn

import (
	"causeway/internal/parallel"
	"causeway/internal/simd"
	"math"
	"runtime"
)

// parFor runs fn over [0, n) split into contiguous chunks, run across up
// to GOMAXPROCS cores (package parallel). Chunks smaller than grain are not
// split further. Each index is handled by exactly one call, so per-index
// results do not depend on the number of workers.
func parFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	workers := runtime.GOMAXPROCS(0)
	if grain < 1 {
		grain = 1
	}
	if w := n / grain; w < workers {
		workers = w
	}
	if workers <= 1 {
		fn(0, n)
		return
	}
	chunk := (n + workers - 1) / workers
	parallel.Run(workers, (n+chunk-1)/chunk, func(c int) {
		fn(c*chunk, min((c+1)*chunk, n))
	})
}

const (
	invSqrt2   = 0.70710678118654752440
	invSqrt2Pi = 0.39894228040143267794

	geluLo    = -8.0 // Φ(−8) ≈ 6e-16: GELU and its derivative are 0 below
	geluHi    = 8.0  // Φ(8) ≈ 1 − 6e-16: GELU is x above
	geluSteps = 64   // grid points per unit
)

// geluTable holds, for each grid point x_i = geluLo + i/geluSteps, the
// cubic Taylor coefficients of Φ (the standard normal CDF) and of φ (its
// density) at x_i: Φ, φ, φ′/2, φ″/6 and φ, φ′, φ″/2, φ‴/6, with
// φ′ = −xφ, φ″ = (x²−1)φ, φ‴ = (3x−x³)φ. From the nearest grid point
// (|δ| ≤ 1/128) the truncation errors are below 3e-10 (Φ) and 2e-9 (φ):
// GELU(x) = x·Φ(x) and its derivative Φ(x) + x·φ(x) without an exp or a
// division per element, exact to float32 rounding.
var geluTable = func() [][8]float64 {
	t := make([][8]float64, int((geluHi-geluLo)*geluSteps)+2)
	for i := range t {
		x := geluLo + float64(i)/geluSteps
		phi := invSqrt2Pi * math.Exp(-x*x/2)
		d1, d2, d3 := -x*phi, (x*x-1)*phi, (3*x-x*x*x)*phi
		t[i] = [8]float64{0.5 * math.Erfc(-x*invSqrt2), phi, d1 / 2, d2 / 6, phi, d1, d2 / 2, d3 / 6}
	}
	return t
}()

// geluExact returns GELU(x) = x·Φ(x) (Φ through erf: PyTorch's nn.GELU()
// default, not the tanh approximation) and its derivative Φ(x) + x·φ(x).
func geluExact(x float64) (y, dy float64) {
	if !(x > geluLo && x < geluHi) {
		switch {
		case x >= geluHi:
			return x, 1
		case x <= geluLo:
			return 0, 0
		}
		return x, x // NaN
	}
	u := (x-geluLo)*geluSteps + 0.5
	k := int(u)
	dl := (u - 0.5 - float64(k)) * (1.0 / geluSteps)
	c := &geluTable[k]
	cdf := c[0] + dl*(c[1]+dl*(c[2]+dl*c[3]))
	pdf := c[4] + dl*(c[5]+dl*(c[6]+dl*c[7]))
	return x * cdf, cdf + x*pdf
}

// geluSlice writes GELU(x) into y and, when d is not nil, the derivative
// into d.
func geluSlice(x, y, d []float32) {
	if d == nil {
		geluForward(x, y)
		return
	}
	geluBoth(x, nil, y, d)
}

// geluDropSlice writes y = GELU(x)∘m and d = GELU′(x)∘m: the fused
// activation and dropout.
func geluDropSlice(x, m, y, d []float32) { geluBoth(x, m, y, d) }

// geluBothVector is geluBoth on the AVX2 kernel: the last len(x)%8
// elements go through it too, padded, so that every element's bits are the
// same wherever a slice boundary falls (the trainer splits activations
// across goroutines by GOMAXPROCS).
func geluBothVector(x, m, y, d []float32) {
	i := simd.GELUBoth(y, d, x, m)
	if i == len(x) {
		return
	}
	var xs, ms, ys, ds [8]float32
	n := copy(xs[:], x[i:])
	var mp []float32
	if m != nil {
		copy(ms[:], m[i:])
		mp = ms[:]
	}
	simd.GELUBoth(ys[:], ds[:], xs[:], mp)
	copy(y[i:], ys[:n])
	copy(d[i:], ds[:n])
}

// geluForwardVector is geluForward on the AVX2 kernel, the tail padded as
// in geluBothVector.
func geluForwardVector(x, y []float32) {
	i := simd.GELU(y, x)
	if i == len(x) {
		return
	}
	var xs, ys [8]float32
	n := copy(xs[:], x[i:])
	simd.GELU(ys[:], xs[:])
	copy(y[i:], ys[:n])
}

// geluForward is the forward-only kernel. The loops below are geluExact
// inlined by hand and unrolled by four: the table lookups and Horner chains
// of neighbouring elements are independent, and this code is a large part
// of a step.
func geluForward(x, y []float32) {
	tab := geluTable
	y = y[:len(x)]
	if simd.Enabled() {
		geluForwardVector(x, y)
		return
	}
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs, ys := (*[4]float32)(x[i:i+4]), (*[4]float32)(y[i:i+4])
		if !geluInRange4(xs) {
			for j, v := range xs {
				g, _ := geluExact(float64(v))
				ys[j] = float32(g)
			}
			continue
		}
		var k [4]int
		var dl [4]float64
		for j, v := range xs {
			u := (float64(v)-geluLo)*geluSteps + 0.5
			k[j] = int(u)
			dl[j] = (u - 0.5 - float64(k[j])) * (1.0 / geluSteps)
		}
		for j, v := range xs {
			c, t := &tab[k[j]], dl[j]
			ys[j] = float32(float64(v) * (c[0] + t*(c[1]+t*(c[2]+t*c[3]))))
		}
	}
	for ; i < len(x); i++ {
		g, _ := geluExact(float64(x[i]))
		y[i] = float32(g)
	}
}

// geluBoth writes y = GELU(x)∘m and d = GELU′(x)∘m (m nil: no mask).
func geluBoth(x, m, y, d []float32) {
	tab := geluTable
	y, d = y[:len(x)], d[:len(x)]
	if m != nil {
		m = m[:len(x)]
	}
	if simd.Enabled() {
		geluBothVector(x, m, y, d)
		return
	}
	i := 0
	for ; i+4 <= len(x); i += 4 {
		xs, ys, ds := (*[4]float32)(x[i:i+4]), (*[4]float32)(y[i:i+4]), (*[4]float32)(d[i:i+4])
		ms := [4]float32{1, 1, 1, 1}
		if m != nil {
			ms = *(*[4]float32)(m[i : i+4])
		}
		if !geluInRange4(xs) {
			for j, v := range xs {
				g, dg := geluExact(float64(v))
				ys[j], ds[j] = float32(g)*ms[j], float32(dg)*ms[j]
			}
			continue
		}
		var k [4]int
		var dl [4]float64
		for j, v := range xs {
			u := (float64(v)-geluLo)*geluSteps + 0.5
			k[j] = int(u)
			dl[j] = (u - 0.5 - float64(k[j])) * (1.0 / geluSteps)
		}
		for j, v := range xs {
			c, t, xv := &tab[k[j]], dl[j], float64(v)
			cdf := c[0] + t*(c[1]+t*(c[2]+t*c[3]))
			pdf := c[4] + t*(c[5]+t*(c[6]+t*c[7]))
			ys[j], ds[j] = float32(xv*cdf)*ms[j], float32(cdf+xv*pdf)*ms[j]
		}
	}
	for ; i < len(x); i++ {
		mi := float32(1)
		if m != nil {
			mi = m[i]
		}
		g, dg := geluExact(float64(x[i]))
		y[i], d[i] = float32(g)*mi, float32(dg)*mi
	}
}

// geluInRange4 reports whether all four values are inside the table.
func geluInRange4(xs *[4]float32) bool {
	return xs[0] > geluLo && xs[0] < geluHi && xs[1] > geluLo && xs[1] < geluHi &&
		xs[2] > geluLo && xs[2] < geluHi && xs[3] > geluLo && xs[3] < geluHi
}

// sigmoid is the logistic function in float64, stable for large |x|.
func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}
