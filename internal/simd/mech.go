package simd

// The SCM sampler's mechanism terms, dst[i] += w·f(src[i]) in float64,
// four lanes at a time. Each repeats the operations of its scalar form (the
// math package's sin and cos, scm's expFast, logFast and tanhFast) in the
// same order without fused multiply-adds, so every element gets the scalar
// form's bits: the generated data do not depend on the CPU. Each does a
// leading multiple of 4 elements (src at least as long as dst), stops
// before the first group of four holding a value outside its domain, and
// returns how many it did (0 without vector support); the caller finishes
// with the scalar form.

// AddSin adds w·math.Sin(src[i]) for |src[i]| < 2^29 (math's own reduction
// threshold).
func AddSin(dst, src []float64, w float64) int {
	return mechanism(addSinAVX2, dst, src, w)
}

// AddCos adds w·math.Cos(src[i]) for |src[i]| < 2^29.
func AddCos(dst, src []float64, w float64) int {
	return mechanism(addCosAVX2, dst, src, w)
}

// AddExpClamped adds w·exp(clamp(src[i], −5, 5)) by scm's expFast, for
// src[i] not NaN.
func AddExpClamped(dst, src []float64, w float64) int {
	return mechanism(addExpClampedAVX2, dst, src, w)
}

// AddLogAbs adds w·log(|src[i]| + 1e-5) by scm's logFast, for finite
// src[i].
func AddLogAbs(dst, src []float64, w float64) int {
	return mechanism(addLogAbsAVX2, dst, src, w)
}

// AddTanh adds w·tanh(src[i]) by scm's tanhFast, for src[i] not NaN.
func AddTanh(dst, src []float64, w float64) int {
	return mechanism(addTanhAVX2, dst, src, w)
}

// mechanism runs kernel k on dst and src[:len(dst)] where the CPU has the
// vector kernels and dst holds a group of four. In a build where Go fuses
// a·b+c in the scalar forms (GOAMD64=v3 and up) the kernels, which do
// not, would give other bits than the scalar forms, so they are not used.
func mechanism(k func(dst, src []float64, w float64) int, dst, src []float64, w float64) int {
	if !Enabled() || scalarFuses || len(dst) < 4 {
		return 0
	}
	return k(dst, src[:len(dst)], w)
}
