// Package simd holds the executor's hand-vectorised elementwise kernels:
// AVX2 with FMA assembly on amd64 CPUs that have it, nothing elsewhere.
// Every function handles a leading multiple of 8 elements and returns how
// many it did (0 without vector support); callers finish the tail, and
// everything, with their scalar code.
//
// GELU is the exact form 0.5·x·(1 + erf(x/√2)) with erf the float32
// rational approximation of Eigen and XLA (an odd degree-13 over an even
// degree-8 polynomial of the argument clamped to [−4, 4]; absolute error
// below 1e-6).
package simd

// GELU writes GELU(x[i]) into dst[i]; x must be at least as long as dst.
func GELU(dst, x []float32) int {
	if !Enabled() || len(dst) < 8 {
		return 0
	}
	geluAVX2(dst, x[:len(dst)])
	return len(dst) &^ 7
}

// BiasGELU replaces dst[i] by GELU(dst[i] + bias[i]); bias must be at
// least as long as dst.
func BiasGELU(dst, bias []float32) int {
	if !Enabled() || len(dst) < 8 {
		return 0
	}
	biasGELUAVX2(dst, bias[:len(dst)])
	return len(dst) &^ 7
}

// ReLU writes max(x[i], 0) into dst[i] (NaN stays NaN); x must be at
// least as long as dst.
func ReLU(dst, x []float32) int {
	if !Enabled() || len(dst) < 8 {
		return 0
	}
	reluAVX2(dst, x[:len(dst)])
	return len(dst) &^ 7
}

// BiasReLU replaces dst[i] by max(dst[i] + bias[i], 0); bias must be at
// least as long as dst.
func BiasReLU(dst, bias []float32) int {
	if !Enabled() || len(dst) < 8 {
		return 0
	}
	biasReLUAVX2(dst, bias[:len(dst)])
	return len(dst) &^ 7
}
