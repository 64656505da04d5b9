package nn

import (
	"math"

	"causeway/contract"
	"causeway/internal/simd"

	"gorgonia.org/gorgonia"

	"causeway/model"
)

// featuresOp computes the encoder's node features [B, N, 6] (see
// model.Builder.Features) in float64. It has no gradient: its inputs are
// data. Inputs: base, intv [B, S, N], target, mask [B, N].
type featuresOp struct {
	opBase
	b, s, n        int
	floor, clipAbs float64
}

func (o *featuresOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	base, intv, target, mask := f32(vs[0]), f32(vs[1]), f32(vs[2]), f32(vs[3])
	out := o.out.dense()
	y := out.Float32s()
	S, N := o.s, o.n
	stats := func(x []float32, b, j int) (mean, std float64) {
		for s := 0; s < S; s++ {
			mean += float64(x[(b*S+s)*N+j])
		}
		mean /= float64(S)
		var ss float64
		for s := 0; s < S; s++ {
			d := float64(x[(b*S+s)*N+j]) - mean
			ss += d * d
		}
		return mean, math.Sqrt(ss/float64(S-1)) + model.StdEps
	}
	clip := func(v float64) float32 { return float32(math.Max(-o.clipAbs, math.Min(o.clipAbs, v))) }
	for b := 0; b < o.b; b++ {
		for j := 0; j < N; j++ {
			bm, bs := stats(base, b, j)
			im, is := stats(intv, b, j)
			den := math.Max(bs, o.floor)
			f := y[(b*N+j)*6 : (b*N+j)*6+6]
			f[0] = clip(bm)
			f[1] = clip(bs)
			f[2] = clip((im - bm) / den)
			f[3] = clip(is / den)
			f[4] = clip((float64(target[b*N+j]) - bm) / den)
			f[5] = clip(float64(mask[b*N+j]))
		}
	}
	return out, nil
}

// meanShiftOp computes the mean-shift baseline mean_S(intv) − target
// [B, N] (see model.Builder.MeanShift) in float64. It has no gradient: its
// inputs are data. Inputs: intv [B, S, N], target [B, N].
type meanShiftOp struct {
	opBase
	b, s, n int
}

func (o *meanShiftOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	intv, target := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	S, N := o.s, o.n
	for b := 0; b < o.b; b++ {
		for j := 0; j < N; j++ {
			var m float64
			for s := 0; s < S; s++ {
				m += float64(intv[(b*S+s)*N+j])
			}
			y[b*N+j] = float32(m/float64(S) - float64(target[b*N+j]))
		}
	}
	return out, nil
}

// pairStatsOp computes the pairwise statistics of model.Builder.PairLogits
// [B, 2, N, N]: |corr| of the base columns, then of the interventional
// columns, 0 on the diagonal, in float64. It has no gradient: its inputs are
// data. Inputs: base, intv [B, S, N].
type pairStatsOp struct {
	opBase
	b, s, n int
	floor   float64
}

func (o *pairStatsOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	out := o.out.dense()
	y := out.Float32s()
	S, N := o.s, o.n
	z := make([]float64, S*N)
	for k, v := range vs[:2] {
		x := f32(v)
		for b := 0; b < o.b; b++ {
			xb := x[b*S*N : (b+1)*S*N]
			for j := 0; j < N; j++ {
				var m float64
				for s := 0; s < S; s++ {
					m += float64(xb[s*N+j])
				}
				m /= float64(S)
				var ss float64
				for s := 0; s < S; s++ {
					d := float64(xb[s*N+j]) - m
					z[s*N+j] = d
					ss += d * d
				}
				den := math.Max(math.Sqrt(ss/float64(S-1)), o.floor)
				for s := 0; s < S; s++ {
					z[s*N+j] /= den
				}
			}
			f := y[(b*2+k)*N*N : (b*2+k+1)*N*N]
			for i := 0; i < N; i++ {
				for j := 0; j < N; j++ {
					if i == j {
						f[i*N+j] = 0
						continue
					}
					var c float64
					for s := 0; s < S; s++ {
						c += z[s*N+i] * z[s*N+j]
					}
					f[i*N+j] = float32(math.Abs(c / float64(S-1)))
				}
			}
		}
	}
	return out, nil
}

// pairWeightOp is out[b,i,j] = w[0]·F[b,0,i,j] + w[1]·F[b,1,i,j] [B, N, N].
// Inputs: F [B, 2, N, N] (from pairStatsOp, no gradient), w [2].
type pairWeightOp struct {
	opBase
	c    *gctx
	b, n int
}

func (o *pairWeightOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	f, w := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	nn := o.n * o.n
	for b := 0; b < o.b; b++ {
		f0, f1 := f[(b*2)*nn:(b*2+1)*nn], f[(b*2+1)*nn:(b*2+2)*nn]
		for i := range nn {
			y[b*nn+i] = w[0]*f0[i] + w[1]*f1[i]
		}
	}
	return out, nil
}

func (o *pairWeightOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, nil, func() *gorgonia.Node {
		op := &pairWeightGradOp{opBase: o.c.base("pairWeightGrad", []int{3, 4}, nil, 2), b: o.b, n: o.n}
		return apply(op, g, in[0])
	}), nil
}

// pairWeightGradOp is dw[k] = Σ_{b,i,j} g[b,i,j]·F[b,k,i,j]. Inputs: g, F.
type pairWeightGradOp struct {
	opBase
	b, n int
}

func (o *pairWeightGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, f := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	dw := out.Float32s()
	nn := o.n * o.n
	var d [2]float64
	for b := 0; b < o.b; b++ {
		gb := g[b*nn : (b+1)*nn]
		for k := range 2 {
			fk := f[(b*2+k)*nn : (b*2+k+1)*nn]
			for i, gi := range gb {
				d[k] += float64(gi) * float64(fk[i])
			}
		}
	}
	dw[0], dw[1] = float32(d[0]), float32(d[1])
	return out, nil
}

// attnOp is the attention core on projected q, k, v [B, N, D] split into H
// heads: P = softmax(q·kᵀ/√dh + bias), P' = P∘mask (dropout), ctx = P'·v.
// Inputs: q, k, v, then bias [B, N, N] if hasBias, then the dropout mask
// [B, H, N, N] if hasMask. Training graphs store P and P'.
type attnOp struct {
	opBase
	c                *gctx
	b, n, d, h       int
	hasBias, hasMask bool
	p, pd            *buf // [B, H, N, N]
}

func (o *attnOp) dh() int { return o.d / o.h }

func (o *attnOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	q, k, v := f32(vs[0]), f32(vs[1]), f32(vs[2])
	var bias, mask []float32
	i := 3
	if o.hasBias {
		bias = f32(vs[i])
		i++
	}
	if o.hasMask {
		mask = f32(vs[i])
	}
	out := o.out.dense()
	ctx := out.Float32s()
	p := o.p.data()
	var pd []float32
	if mask != nil {
		pd = o.pd.data()
	}
	N, D, H, dh := o.n, o.d, o.h, o.dh()
	scale := float32(1 / math.Sqrt(float64(dh)))
	nn := N * N
	parFor(o.b, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			for h := 0; h < H; h++ {
				off := b*N*D + h*dh
				pi := (b*H + h) * nn
				s := p[pi : pi+nn]
				gemmMul(false, true, N, N, dh, scale, q[off:], D, k[off:], D, 0, s, N)
				if bias != nil {
					bb := bias[b*nn : (b+1)*nn]
					for j := range s {
						s[j] += bb[j]
					}
				}
				simd.SoftmaxRows(s, N)
				sp := s
				if mask != nil {
					sp = pd[pi : pi+nn]
					m := mask[pi : pi+nn]
					for j := range sp {
						sp[j] = s[j] * m[j]
					}
				}
				gemmMul(false, false, N, dh, N, 1, sp, N, v[off:], D, 0, ctx[off:], D)
			}
		}
	})
	return out, nil
}

func (o *attnOp) SymDiff(in gorgonia.Nodes, y, g *gorgonia.Node) (gorgonia.Nodes, error) {
	c := o.c
	gop := &attnGradOp{opBase: c.base("attnGrad", nil, nil, o.b, o.n, o.d), fwd: o,
		dk: c.buf(o.b, o.n, o.d), dv: c.buf(o.b, o.n, o.d), scratch: c.buf(o.b, o.n, o.n)}
	children := gorgonia.Nodes{y, g, in[0], in[1], in[2]}
	if o.hasBias && o.diff[3] {
		gop.dbias = c.buf(o.b, o.n, o.n)
	}
	if o.hasMask {
		children = append(children, in[len(in)-1])
	}
	for _, ch := range children {
		gop.ranks = append(gop.ranks, ch.Dims())
	}
	gop.diff = make([]bool, len(children))
	dq := apply(gop, children...)
	sel := func(b *buf) func() *gorgonia.Node {
		return func() *gorgonia.Node {
			return apply(&selectOp{opBase: c.base("select", []int{dq.Dims()}, nil, b.shape...), src: b}, dq)
		}
	}
	mk := []func() *gorgonia.Node{func() *gorgonia.Node { return dq }, sel(gop.dk), sel(gop.dv)}
	if o.hasBias {
		mk = append(mk, sel(gop.dbias))
	}
	return grads(o.diff, mk...), nil
}

// attnGradOp computes all attention-core gradients in one pass: it returns
// dq and fills dk, dv and (Model D) dbias, which selectOp nodes expose.
// Inputs: forward output (ordering), g, q, k, v, [mask].
type attnGradOp struct {
	opBase
	fwd           *attnOp
	dk, dv, dbias *buf
	scratch       *buf
}

func (o *attnGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	f := o.fwd
	g, q, k, v := f32(vs[1]), f32(vs[2]), f32(vs[3]), f32(vs[4])
	var mask []float32
	if f.hasMask {
		mask = f32(vs[5])
	}
	out := o.out.dense()
	dq, dk, dv := out.Float32s(), o.dk.data(), o.dv.data()
	var dbias []float32
	if o.dbias != nil {
		dbias = o.dbias.data()
		clear(dbias)
	}
	p := f.p.data()
	var pd []float32
	if mask != nil {
		pd = f.pd.data()
	}
	scr := o.scratch.data()
	N, D, H, dh := f.n, f.d, f.h, f.dh()
	scale := float32(1 / math.Sqrt(float64(dh)))
	nn := N * N
	parFor(f.b, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			dp := scr[b*nn : (b+1)*nn]
			for h := 0; h < H; h++ {
				off := b*N*D + h*dh
				pi := (b*H + h) * nn
				ps := p[pi : pi+nn]
				sp := ps
				if mask != nil {
					sp = pd[pi : pi+nn]
				}
				// dP' = g·vᵀ, dv = P'ᵀ·g
				gemmMul(false, true, N, N, dh, 1, g[off:], D, v[off:], D, 0, dp, N)
				gemmMul(true, false, N, dh, N, 1, sp, N, g[off:], D, 0, dv[off:], D)
				if mask != nil {
					m := mask[pi : pi+nn]
					for j := range dp {
						dp[j] *= m[j]
					}
				}
				// dS = P∘(dP − rowsum(dP∘P))
				for r := 0; r < N; r++ {
					pr, dr := ps[r*N:(r+1)*N], dp[r*N:(r+1)*N]
					var s float32
					for j := range pr {
						s += pr[j] * dr[j]
					}
					for j := range pr {
						dr[j] = pr[j] * (dr[j] - s)
					}
				}
				if dbias != nil {
					db := dbias[b*nn : (b+1)*nn]
					for j := range db {
						db[j] += dp[j]
					}
				}
				gemmMul(false, false, N, dh, N, scale, dp, N, k[off:], D, 0, dq[off:], D)
				gemmMul(true, false, N, dh, N, scale, dp, N, q[off:], D, 0, dk[off:], D)
			}
		}
	})
	return out, nil
}

// selectOp exposes a buffer filled by the op that produced its input (the
// multi-output pattern: one backward pass, several gradients).
type selectOp struct {
	opBase
	src *buf
}

func (o *selectOp) Do(...gorgonia.Value) (gorgonia.Value, error) { return o.src.dense(), nil }

// bilinearOp is L[b] = P_b·C_bᵀ [B, N, N] with contract.DiagLogit on the
// diagonal. Inputs: p, c [B, N, D].
type bilinearOp struct {
	opBase
	c       *gctx
	b, n, d int
}

func (o *bilinearOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	p, c := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	l := out.Float32s()
	N, D := o.n, o.d
	for b := 0; b < o.b; b++ {
		lb := l[b*N*N : (b+1)*N*N]
		gemmMul(false, true, N, N, D, 1, p[b*N*D:], D, c[b*N*D:], D, 0, lb, N)
		for i := 0; i < N; i++ {
			lb[i*N+i] = contract.DiagLogit
		}
	}
	return out, nil
}

func (o *bilinearOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	mk := func(trans bool, other *gorgonia.Node) func() *gorgonia.Node {
		return func() *gorgonia.Node {
			op := &bilinearGradOp{opBase: o.c.base("bilinearGrad", []int{3, 3}, nil, o.b, o.n, o.d),
				b: o.b, n: o.n, d: o.d, trans: trans, gz: o.c.buf(o.b, o.n, o.n)}
			return apply(op, g, other)
		}
	}
	return grads(o.diff, mk(false, in[1]), mk(true, in[0])), nil
}

// bilinearGradOp is dP_b = G̃_b·C_b (trans false) or dC_b = G̃_bᵀ·P_b
// (trans true), G̃ the gradient with its diagonal zeroed. Inputs: g, other.
type bilinearGradOp struct {
	opBase
	b, n, d int
	trans   bool
	gz      *buf
}

func (o *bilinearGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, x := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	gz := o.gz.data()
	copy(gz, g)
	N, D := o.n, o.d
	for b := 0; b < o.b; b++ {
		gb := gz[b*N*N : (b+1)*N*N]
		for i := 0; i < N; i++ {
			gb[i*N+i] = 0
		}
		gemmMul(o.trans, false, N, D, N, 1, gb, N, x[b*N*D:], D, 0, y[b*N*D:], D)
	}
	return out, nil
}

// structBiasOp is Model D's attention bias
// out[b,i,j] = AttentionBiasScale·(1 − σ(L[b,j,i])) for i ≠ j, 0 on the
// diagonal. Input: L [B, N, N].
type structBiasOp struct {
	opBase
	c    *gctx
	b, n int
}

func (o *structBiasOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	l := f32(vs[0])
	out := o.out.dense()
	y := out.Float32s()
	N := o.n
	for b := 0; b < o.b; b++ {
		lb, yb := l[b*N*N:(b+1)*N*N], y[b*N*N:(b+1)*N*N]
		for i := 0; i < N; i++ {
			for j := 0; j < N; j++ {
				if i == j {
					yb[i*N+j] = 0
					continue
				}
				yb[i*N+j] = float32(model.AttentionBiasScale * (1 - sigmoid(float64(lb[j*N+i]))))
			}
		}
	}
	return out, nil
}

func (o *structBiasOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &structBiasGradOp{opBase: o.c.base("structBiasGrad", []int{3, 3}, nil, o.b, o.n, o.n), b: o.b, n: o.n}
		return apply(op, in[0], g)
	}), nil
}

// structBiasGradOp is dL[b,j,i] = −AttentionBiasScale·σ'(L[b,j,i])·g[b,i,j]
// off the diagonal. Inputs: L, g.
type structBiasGradOp struct {
	opBase
	b, n int
}

func (o *structBiasGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	l, g := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	dl := out.Float32s()
	N := o.n
	for b := 0; b < o.b; b++ {
		lb, gb, db := l[b*N*N:(b+1)*N*N], g[b*N*N:(b+1)*N*N], dl[b*N*N:(b+1)*N*N]
		for j := 0; j < N; j++ {
			for i := 0; i < N; i++ {
				if i == j {
					db[j*N+i] = 0
					continue
				}
				s := sigmoid(float64(lb[j*N+i]))
				db[j*N+i] = float32(-model.AttentionBiasScale * s * (1 - s) * float64(gb[i*N+j]))
			}
		}
	}
	return out, nil
}
