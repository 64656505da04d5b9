// Package simd holds the hand-vectorised elementwise kernels of the ONNX
// executor and the trainer (matrix products are package gemm's) and the SCM
// sampler's float64 mechanism terms (mech.go): AVX2 with FMA assembly on
// amd64 CPUs that have it, nothing elsewhere.
// Every function handles a leading multiple of 8 elements and returns how
// many it did (0 without vector support); callers finish the tail, and
// everything, with their scalar code.
//
// GELU is the exact form 0.5·x·(1 + erf(x/√2)) with erf the float32
// rational approximation of Eigen and XLA (an odd degree-13 over an even
// degree-8 polynomial of the argument clamped to [−4, 4]; absolute error
// below 1e-6).
package simd

import "math"

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

// GELUBoth writes y[i] = GELU(x[i])·m[i] and d[i] = GELU′(x[i])·m[i] =
// (Φ(x[i]) + x[i]·φ(x[i]))·m[i], the trainer's activation and its
// derivative in one pass (m nil: no mask, as if all ones); y, d and m must
// be at least as long as x. Φ comes from GELU's erf, φ(x) = exp(−x²/2)/√(2π)
// from Exp's algorithm: absolute errors below 1e-6·max(1, |x|).
func GELUBoth(y, d, x, m []float32) int {
	if !Enabled() || len(x) < 8 {
		return 0
	}
	n := len(x) &^ 7
	if m != nil {
		m = m[:n]
	}
	geluBothAVX2(y[:n], d[:n], x[:n], m)
	return n
}

// ReLUDrop writes y[i] = z[i]·m[i] and d[i] = m[i] where z[i] > 0, and 0
// to both elsewhere (NaN included): the trainer's ReLU with its dropout
// mask and derivative, without a branch per element. y, d and m must be
// at least as long as z. The scalar form gives the same bits.
func ReLUDrop(y, d, z, m []float32) int {
	if !Enabled() || len(z) < 8 {
		return 0
	}
	n := len(z) &^ 7
	reluDropAVX2(y[:n], d[:n], z[:n], m[:n])
	return n
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

// ReLU32 is max(0, v) as the vector kernels' VMAXPS takes it (ReLU,
// BiasReLU, BiasRows, and package gemm's kernels), the scalar form for
// tails and CPUs without vector kernels, so that every column of a ReLU
// has one rule whatever computed it: v < 0 becomes +0, and NaN (of either
// sign) and −0 stay. It has no branch (random signs mispredict): zero is
// selected when the sign bit is set and the magnitude is in (0, +Inf].
func ReLU32(v float32) float32 {
	b := math.Float32bits(v)
	neg := b >> 31
	mag := b &^ (1 << 31)
	below := uint32((uint64(mag-1) - 0x7f800000) >> 63) // 1 ≤ mag ≤ Inf, unsigned
	return math.Float32frombits(b &^ -(neg & below))
}

// BiasReLU replaces dst[i] by max(dst[i] + bias[i], 0); bias must be at
// least as long as dst. It is BiasRows on one row.
func BiasReLU(dst, bias []float32) int {
	return BiasRows(dst, len(dst), 1, bias[:len(dst)], true)
}

// BiasRows adds bias to each of rows rows of a matrix (row r at c[r·ldc:],
// len(bias) columns) and, when relu is set, replaces every value v by
// max(v, 0) (NaN stays NaN, and so does a zero's sign): one call for a
// block of a Linear layer's output. It does the first len(bias)&^7
// columns of every row and returns that count (0 without vector support);
// the caller finishes the rest. c must hold (rows−1)·ldc + len(bias)
// values, and ldc ≥ len(bias).
func BiasRows(c []float32, ldc, rows int, bias []float32, relu bool) int {
	n := len(bias) &^ 7
	if !Enabled() || n == 0 || rows <= 0 {
		return 0
	}
	if ldc < len(bias) || len(c) < (rows-1)*ldc+len(bias) {
		panic("simd: BiasRows: matrix too short for its rows and stride")
	}
	r := 0
	if relu {
		r = 1
	}
	biasRowsAVX2(c, ldc, rows, bias[:n], r)
	return n
}

// Exp writes exp(x[i]) into dst[i] (Exp32's algorithm, eight at a time);
// x must be at least as long as dst.
func Exp(dst, x []float32) int {
	if !Enabled() || len(dst) < 8 {
		return 0
	}
	expAVX2(dst, x[:len(dst)])
	return len(dst) &^ 7
}

// Exp32 is a float32 exp (Cephes expf: x = k·ln2 + r with ln2 in two
// parts, a degree-7 polynomial in r; relative error below 3e-7): 0 below
// −87.3, saturated (about 2.2e38, not +Inf) above 88.3, NaN for NaN. It is
// the scalar form of Exp, for tails and CPUs without vector kernels; the
// two agree to within an ulp (Exp fuses the multiply-adds).
func Exp32(x float32) float32 {
	switch {
	case x != x:
		return x
	case x < -87.3:
		return 0
	case x > 88.3:
		x = 88.3
	}
	k := float32(math.RoundToEven(float64(x * 1.44269504088896341)))
	r := x - k*0.693359375 - k*-2.12194440e-4
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	p = p*r*r + r + 1
	return p * math.Float32frombits(uint32(int32(k)+127)<<23)
}

// SoftmaxRows replaces each row of the rows×n row-major matrix s by its
// softmax, in place: each row shifted by its maximum, exponentiated (Exp
// over the whole matrix, eight at a time, Exp32 for the tail), and divided
// by its sum (accumulated in float64). len(s) must be a multiple of n.
func SoftmaxRows(s []float32, n int) {
	if n <= 0 || len(s)%n != 0 {
		panic("simd: SoftmaxRows: the matrix is not whole rows")
	}
	for r := 0; r < len(s); r += n {
		row := s[r : r+n]
		mx := row[0]
		for _, v := range row[1:] {
			mx = max(mx, v)
		}
		for j := range row {
			row[j] -= mx
		}
	}
	for i := Exp(s, s); i < len(s); i++ {
		s[i] = Exp32(s[i])
	}
	for r := 0; r < len(s); r += n {
		row := s[r : r+n]
		var sum float64
		for _, v := range row {
			sum += float64(v)
		}
		inv := float32(1 / sum)
		for j := range row {
			row[j] *= inv
		}
	}
}

// LayerNorm writes one row of layer normalisation, dst = (x − mean)·inv·w
// + b with mean = float32(Σx/d), var = float32(Σ(x − mean)²/d) (both sums
// in float64, the biased variance) and inv = 1/float32(√(var + eps)), for
// a row x = src of d = len(src) values, d a multiple of 8; dst, w and b
// must be at least as long. It reports false, writing nothing, when d is
// not a positive multiple of 8 or the CPU has no vector kernels.
func LayerNorm(dst, src, w, b []float32, eps float64) bool {
	d := len(src)
	if !Enabled() || d == 0 || d%8 != 0 {
		return false
	}
	layerNormAVX2(dst[:d], src, w[:d], b[:d], eps, float64(d))
	return true
}
