package simd

import "math"

// AdamStep holds the constants of one AdamW update (package train's
// optimiser): the moments' decay rates B1, B2 and their complements C1 =
// 1−β1, C2 = 1−β2, Decay = 1 − lr·λ, StepSize = lr / (1 − β1^t), SqrtBC2 =
// √(1 − β2^t) and Eps. The field order is the vector kernel's layout.
type AdamStep struct {
	B1, C1, B2, C2, Decay float32
	_                     float32
	StepSize, SqrtBC2     float64
	Eps                   float64
}

// Adam applies one AdamW update to the weights w with gradients g and
// moments m, v (all as long as w):
//
//	m = B1·m + C1·g, v = B2·v + (C2·g)·g            (float32)
//	w = w·Decay − float32(StepSize·m / (√v/SqrtBC2 + Eps))
//
// with the quotient in float64. The vector kernel does eight elements at
// a time with the same operations in the same order (no fused
// multiply-adds; IEEE square root and division), and the scalar loop
// rounds every product on its own, so every element has the same bits on
// every CPU and architecture.
func Adam(w, g, m, v []float32, k *AdamStep) {
	if len(g) != len(w) || len(m) != len(w) || len(v) != len(w) {
		panic("simd: Adam: slices of different lengths")
	}
	n := 0
	if Enabled() && len(w) >= 8 {
		n = len(w) &^ 7
		adamAVX2(w[:n], g[:n], m[:n], v[:n], k)
	}
	adamScalar(w[n:], g[n:], m[n:], v[n:], k)
}

// adamScalar is Adam's scalar form (the reference of the vector kernel's
// bits).
func adamScalar(w, g, m, v []float32, k *AdamStep) {
	m, v, g = m[:len(w)], v[:len(w)], g[:len(w)]
	// The explicit conversions round every product on its own, so that no
	// compiler fuses a·b+c here (Go does on arm64 and with GOAMD64=v3):
	// the same bits on every architecture.
	for i, gi := range g {
		m[i] = float32(k.B1*m[i]) + float32(k.C1*gi)
		v[i] = float32(k.B2*v[i]) + float32(k.C2*gi*gi)
		denom := math.Sqrt(float64(v[i]))/k.SqrtBC2 + k.Eps
		w[i] = float32(w[i]*k.Decay) - float32(k.StepSize*float64(m[i])/denom)
	}
}
