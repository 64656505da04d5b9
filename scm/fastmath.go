package scm

import "math"

// Fast scalar versions of exp, log and tanh for the mechanisms. They use the
// algorithms and coefficients of Go's pure-Go math package (FreeBSD msun and
// Cephes, BSD-licensed like Go) without the special cases the sampler never
// meets, with the reduction done on the bits, and stay within 2 ulp of the
// math package (see mechanism_test.go); on amd64 they are about 1.5x faster.
// Package simd repeats them, and math.Sin and math.Cos, four values at a
// time with the same bits (addTerm uses them where the CPU has AVX2).

// expFast is e^x for |x| ≤ 700.
func expFast(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		log2e = 1.44269504088896338700e+00
		p1    = 1.66666666666666657415e-01
		p2    = -2.77777777770155933842e-03
		p3    = 6.61375632143793436117e-05
		p4    = -1.65339022054652515390e-06
		p5    = 4.13813679705723846039e-08
	)
	k := int(log2e*x + math.Copysign(0.5, x))
	fk := float64(k)
	hi := x - fk*ln2Hi
	lo := fk * ln2Lo
	r := hi - lo
	t := r * r
	c := r - t*(p1+t*(p2+t*(p3+t*(p4+t*p5))))
	y := 1 - ((lo - (r*c)/(2-c)) - hi)
	return y * math.Float64frombits(uint64(k+1023)<<52)
}

// logFast is the natural logarithm of a positive, finite, normal x.
func logFast(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		l1    = 6.666666666666735130e-01
		l2    = 3.999999999940941908e-01
		l3    = 2.857142874366239149e-01
		l4    = 2.222219843214978396e-01
		l5    = 1.818357216161805012e-01
		l6    = 1.531383769920937332e-01
		l7    = 1.479819860511658591e-01
	)
	// Reduce x to 2^k·(1+f) with 1+f in [√2/2, √2) without branches (musl).
	bits := math.Float64bits(x)
	hx := uint32(bits>>32) + (0x3ff00000 - 0x3fe6a09e)
	k := float64(int(hx>>20) - 0x3ff)
	hx = hx&0x000fffff + 0x3fe6a09e
	f := math.Float64frombits(uint64(hx)<<32|bits&0xffffffff) - 1

	s := f / (2 + f)
	s2 := s * s
	s4 := s2 * s2
	t1 := s2 * (l1 + s4*(l3+s4*(l5+s4*l7)))
	t2 := s4 * (l2 + s4*(l4+s4*l6))
	R := t1 + t2
	hfsq := 0.5 * f * f
	return k*ln2Hi - ((hfsq - (s*(hfsq+R) + k*ln2Lo)) - f)
}

// tanhFast is the hyperbolic tangent of a finite x.
func tanhFast(x float64) float64 {
	const (
		p0 = -9.64399179425052238628e-1
		p1 = -9.92877231001918586564e1
		p2 = -1.61468768441708447952e3
		q0 = 1.12811678491632931402e2
		q1 = 2.23548839060100448583e3
		q2 = 4.84406305325125486048e3
	)
	z := math.Abs(x)
	switch {
	case z >= 22: // 1 − 2/(e^44+1) rounds to 1
		return math.Copysign(1, x)
	case z >= 0.625:
		return math.Copysign(1-2/(expFast(2*z)+1), x)
	default:
		s := x * x
		return x + x*s*((p0*s+p1)*s+p2)/(((s+q0)*s+q1)*s+q2)
	}
}
