package onnxrt

import (
	"fmt"
	"math"
	"slices"

	"causeway/internal/gemm"
	"causeway/internal/simd"
)

// erf32 is a float32 rational approximation of erf (the odd/even minimax
// form of Eigen and XLA, clamped to [−4, 4] where erf is ±1 in float32);
// its absolute error is below 1e-6.
func erf32(x float32) float32 {
	if x > 4 {
		x = 4
	} else if x < -4 {
		x = -4
	}
	x2 := x * x
	p := x2*-2.72614225801306e-10 + 2.77068142495902e-08
	p = x2*p + -2.10102402082508e-06
	p = x2*p + -5.69250639462346e-05
	p = x2*p + -7.34990630326855e-04
	p = x2*p + -2.95459980854025e-03
	p = x2*p + -1.60960333262415e-02
	p *= x
	q := x2*-1.45660718464996e-05 + -2.13374055278905e-04
	q = x2*q + -1.68282697438203e-03
	q = x2*q + -7.37332916720468e-03
	q = x2*q + -1.42647390514189e-02
	return p / q
}

// geluInto writes the exact (erf) GELU 0.5·x·(1 + erf(x/√2)) of x into dst
// (eight lanes at a time with AVX2 and FMA where available).
func geluInto(dst, x []float32) {
	const invSqrt2 = 1 / math.Sqrt2
	x = x[:len(dst)]
	for i := simd.GELU(dst, x); i < len(dst); i++ {
		v := x[i]
		dst[i] = 0.5 * v * (1 + erf32(v*invSqrt2))
	}
}

const actNone unaryOp = 255

// linearKernel is y = act(x·W + b) over the last axis of x, for a 2-D
// initializer W [K, Nout] and an optional 1-D initializer b [Nout]: one
// GEMM over the flattened [rows, K] view of x. With packed weights a bias,
// alone or followed by ReLU, is applied by the kernels to the sums still
// in registers (gemm.MulPackedBias); GELU, and ReLU without a bias, run on
// each block of the product while it is in cache; unpacked, the epilogue
// runs in one pass after the product. Every path gives the same bits (one
// ReLU rule, simd.ReLU32's).
type linearKernel struct {
	w       []float32 // k×nout, row-major; nil once packed
	packed  []float32 // gemm.Pack(w); nil when w is kept
	k, nout int
	b       []float32     // nil: no bias
	act     unaryOp       // actNone, opRelu or opGelu
	epi     gemm.Epilogue // bias and activation (set at load); nil: none
	sparse  bool          // the input is a ReLU's and w is finite: skip its zeros
}

// epilogue returns the bias and activation as a gemm.Epilogue, applied to
// each block of the product as soon as it is done (nil when there are
// neither).
func (l *linearKernel) epilogue() gemm.Epilogue {
	switch {
	case l.b != nil && l.act != opGelu:
		// Bias (and ReLU) over the whole block in one vector call; the
		// columns past the last multiple of 8, row by row.
		relu := l.act == opRelu
		return func(part []float32, ldc, rows, j0, width int) {
			b := l.b[j0 : j0+width]
			if done := simd.BiasRows(part, ldc, rows, b, relu); done < width {
				for r := range rows {
					biasAct(l.act, part[r*ldc+done:r*ldc+width], b[done:])
				}
			}
		}
	case l.b != nil:
		return func(part []float32, ldc, rows, j0, width int) {
			b := l.b[j0 : j0+width]
			for r := range rows {
				biasAct(l.act, part[r*ldc:r*ldc+width], b)
			}
		}
	case l.act != actNone:
		return func(part []float32, ldc, rows, _, width int) {
			for r := range rows {
				row := part[r*ldc : r*ldc+width]
				applyUnary(l.act, row, row)
			}
		}
	}
	return nil
}

// kernelBias reports whether the packed product applies the bias and
// activation itself: a bias, then ReLU or nothing (gemm.MulPackedBias,
// whose bits are the epilogue's: simd.BiasRows's and simd.ReLU32's rule).
func (l *linearKernel) kernelBias() bool {
	return l.b != nil && (l.act == actNone || l.act == opRelu)
}

// skipsZeros reports whether the packed product skips the input's zeros
// (gemm.MulPackedBiasSparse: the input being a ReLU's output and the
// weights finite, the same bits as kernelBias's product but for the sign
// of a zero sum reached by underflow).
func (l *linearKernel) skipsZeros() bool {
	return l.sparse && l.packed != nil && l.kernelBias()
}

func (l *linearKernel) run(s *state, n *node) error {
	x, err := floatInput(s, n, 0)
	if err != nil {
		return err
	}
	r := len(x.shape)
	if r == 0 || x.shape[r-1] != l.k {
		return fmt.Errorf("input shape %v, weight [%d,%d]", x.shape, l.k, l.nout)
	}
	var shape [maxRank]int
	copy(shape[:], x.shape)
	shape[r-1] = l.nout
	out := s.setFloat(n.out[0], shape[:r]...)
	rows := len(out.f) / max(l.nout, 1) // from the output: x has no values when K = 0
	if l.packed != nil {
		switch {
		case l.skipsZeros():
			gemm.MulPackedBiasSparse(rows, l.nout, l.k, x.f, l.k, l.packed, l.b, l.act == opRelu, out.f, l.nout)
		case l.kernelBias():
			gemm.MulPackedBias(rows, l.nout, l.k, x.f, l.k, l.packed, l.b, l.act == opRelu, out.f, l.nout)
		default:
			gemm.MulPackedEpilogue(rows, l.nout, l.k, x.f, l.k, l.packed, out.f, l.nout, l.epi)
		}
		return nil
	}
	if l.k == 0 {
		clear(out.f)
	} else {
		gemmMul(false, false, rows, l.nout, l.k, 1, x.f, l.k, l.w, l.nout, 0, out.f, l.nout)
	}
	if l.epi != nil && rows > 0 {
		l.epi(out.f, l.nout, rows, 0, l.nout) // the same epilogue, in one pass after the product
	}
	return nil
}

// biasAct replaces row[i] by act(row[i] + bias[i]).
func biasAct(act unaryOp, row, bias []float32) {
	bias = bias[:len(row)]
	switch act {
	case opGelu:
		const invSqrt2 = 1 / math.Sqrt2
		for i := simd.BiasGELU(row, bias); i < len(row); i++ {
			v := row[i] + bias[i]
			row[i] = 0.5 * v * (1 + erf32(v*invSqrt2))
		}
	case opRelu:
		for i := simd.BiasReLU(row, bias); i < len(row); i++ {
			row[i] = simd.ReLU32(row[i] + bias[i])
		}
	default:
		for i, b := range bias {
			row[i] += b
		}
	}
}

// layerNormKernel normalises the last axis: (x − mean)/√(var + eps)·w + b,
// with the biased variance; with two inputs it normalises their sum (the
// residual connection in front of a post-LN transformer's norms).
type layerNormKernel struct {
	w, b     []float32
	eps      float64
	residual bool
}

func (l *layerNormKernel) run(s *state, n *node) error {
	x, err := floatInput(s, n, 0)
	if err != nil {
		return err
	}
	d := len(l.w)
	if r := len(x.shape); r == 0 || x.shape[r-1] != d {
		return fmt.Errorf("input shape %v, normalised size %d", x.shape, d)
	}
	var y *tensor
	if l.residual {
		if y, err = floatInput(s, n, 1); err != nil {
			return err
		}
		if !slices.Equal(x.shape, y.shape) {
			// A broadcasting residual: add into a temporary first.
			var shape [maxRank]int
			r, err := broadcastShape(shape[:], x.shape, y.shape)
			if err != nil {
				return err
			}
			sum := &tensor{dtype: dtFloat, shape: shape[:r], f: s.alloc(prod(shape[:r]))}
			broadcastBinary(opAdd, sum, x, y)
			defer func() { s.free = append(s.free, sum.f[:0]) }()
			x, y = sum, nil
			if x.shape[r-1] != d {
				return fmt.Errorf("input shape %v, normalised size %d", x.shape, d)
			}
		}
	}
	out := s.setFloat(n.out[0], x.shape...)
	row := s.scratchBuf(d)
	for o := 0; o+d <= len(x.f); o += d {
		src := x.f[o : o+d]
		if y != nil {
			yr := y.f[o : o+d]
			for i, v := range src {
				row[i] = v + yr[i]
			}
			src = row
		}
		if simd.LayerNorm(out.f[o:o+d], src, l.w, l.b, l.eps) {
			continue
		}
		mean := float32(sum4(src) / float64(d))
		// Four accumulators break the add-latency chain.
		var s0, s1, s2, s3 float64
		i := 0
		for ; i+4 <= d; i += 4 {
			a, b, c, e := float64(src[i]-mean), float64(src[i+1]-mean), float64(src[i+2]-mean), float64(src[i+3]-mean)
			s0 += a * a
			s1 += b * b
			s2 += c * c
			s3 += e * e
		}
		for ; i < d; i++ {
			a := float64(src[i] - mean)
			s0 += a * a
		}
		sd := float32(math.Sqrt(float64(float32((s0+s1+s2+s3)/float64(d))) + l.eps))
		inv := 1 / sd
		dst, w, b := out.f[o:o+d], l.w[:d], l.b[:d]
		for i, v := range src[:d] {
			dst[i] = (v-mean)*inv*w[i] + b[i]
		}
	}
	return nil
}

// sum4 returns the float64 sum of v with four accumulators.
func sum4(v []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += float64(v[i])
		s1 += float64(v[i+1])
		s2 += float64(v[i+2])
		s3 += float64(v[i+3])
	}
	for ; i < len(v); i++ {
		s0 += float64(v[i])
	}
	return s0 + s1 + s2 + s3
}

// attentionKernel is scaled dot-product self-attention over heads, fused
// from the exporter's Reshape/Transpose/MatMul/Mul/[Add]/Softmax/MatMul/
// Transpose/Reshape chain. q, k and v are [B,N,·] with the head h's
// columns at off+h·dh; with merged they are one [B,N,3D] tensor (the fused
// q/k/v projection) at column offsets 0, D and 2D. Scores and weights live
// in per-state scratch; the context is written straight into [B,N,D].
type attentionKernel struct {
	heads, dh int
	scale     float32
	merged    bool
	hasBias   bool
}

func (a *attentionKernel) run(s *state, n *node) error {
	d := a.heads * a.dh
	type view struct {
		f      []float32
		off, l int
	}
	var q, k, v view
	var b, nn int
	get := func(i int) (*tensor, error) {
		t, err := floatInput(s, n, i)
		if err != nil {
			return nil, err
		}
		if len(t.shape) != 3 {
			return nil, fmt.Errorf("input %d has shape %v, want [B,N,D]", i, t.shape)
		}
		return t, nil
	}
	bias := -1
	if a.merged {
		t, err := get(0)
		if err != nil {
			return err
		}
		if t.shape[2] != 3*d {
			return fmt.Errorf("q/k/v shape %v, want [B,N,%d]", t.shape, 3*d)
		}
		b, nn = t.shape[0], t.shape[1]
		q, k, v = view{t.f, 0, 3 * d}, view{t.f, d, 3 * d}, view{t.f, 2 * d, 3 * d}
		bias = 1
	} else {
		ts := [3]*tensor{}
		for i := range ts {
			t, err := get(i)
			if err != nil {
				return err
			}
			if t.shape[2] != d || (i > 0 && !slices.Equal(t.shape, ts[0].shape)) {
				return fmt.Errorf("q/k/v shapes must be equal [B,N,%d], input %d is %v", d, i, t.shape)
			}
			ts[i] = t
		}
		b, nn = ts[0].shape[0], ts[0].shape[1]
		q, k, v = view{ts[0].f, 0, d}, view{ts[1].f, 0, d}, view{ts[2].f, 0, d}
		bias = 3
	}
	var bf []float32
	biasPer := 0 // 0: shared, 1: per batch element, 2: per (batch, head)
	if a.hasBias {
		t, err := floatInput(s, n, bias)
		if err != nil {
			return err
		}
		switch len(t.f) {
		case nn * nn:
		case b * nn * nn:
			biasPer = 1
		case b * a.heads * nn * nn:
			biasPer = 2
		default:
			return fmt.Errorf("attention bias shape %v does not fit [%d,%d,%d]", t.shape, b, nn, nn)
		}
		bf = t.f
	}
	out := s.setFloat(n.out[0], b, nn, d)
	scores := s.scratchBuf(nn * nn)
	for bi := 0; bi < b; bi++ {
		for h := 0; h < a.heads; h++ {
			qo := bi*nn*q.l + q.off + h*a.dh
			ko := bi*nn*k.l + k.off + h*a.dh
			vo := bi*nn*v.l + v.off + h*a.dh
			gemmMul(false, true, nn, nn, a.dh, a.scale, q.f[qo:], q.l, k.f[ko:], k.l, 0, scores, nn)
			if bf != nil {
				var bb []float32
				switch biasPer {
				case 0:
					bb = bf[:nn*nn]
				case 1:
					bb = bf[bi*nn*nn : (bi+1)*nn*nn]
				default:
					bb = bf[(bi*a.heads+h)*nn*nn : (bi*a.heads+h+1)*nn*nn]
				}
				for i, x := range bb {
					scores[i] += x
				}
			}
			simd.SoftmaxRows(scores, nn)
			gemmMul(false, false, nn, a.dh, nn, 1, scores, nn, v.f[vo:], v.l, 0, out.f[bi*nn*d+h*a.dh:], d)
		}
	}
	return nil
}
