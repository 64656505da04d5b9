package nn

import (
	"gorgonia.org/gorgonia"

	"causeway/contract"
)

// Model F's ops. Pair tensors are [B·N, N, K] (see model.Builder).

// swapOp exchanges the pair axes of x [B·N, N, K]: out[(b,i),j] = x[(b,j),i].
// It is its own adjoint, so its gradient is the same swap of g.
type swapOp struct {
	opBase
	c       *gctx
	b, n, k int
}

func (o *swapOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x := f32(vs[0])
	out := o.out.dense()
	y := out.Float32s()
	n, k := o.n, o.k
	parFor(o.b*n, 4, func(lo, hi int) {
		for bi := lo; bi < hi; bi++ {
			b, i := bi/n, bi%n
			for j := range n {
				copy(y[((b*n+i)*n+j)*k:][:k], x[((b*n+j)*n+i)*k:][:k])
			}
		}
	})
	return out, nil
}

func (o *swapOp) SymDiff(_ gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &swapOp{opBase: o.c.base("swapGrad", []int{3}, nil, o.b*o.n, o.n, o.k), c: o.c, b: o.b, n: o.n, k: o.k}
		return apply(op, g)
	}), nil
}

// edgeLogitsOp turns x [B·N, N, 1] into adj_logits [B,N,N] with
// contract.DiagLogit on the diagonal.
type edgeLogitsOp struct {
	opBase
	c    *gctx
	b, n int
}

func (o *edgeLogitsOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	out := o.out.dense()
	y := out.Float32s()
	copy(y, f32(vs[0]))
	for b := range o.b {
		for i := range o.n {
			y[(b*o.n+i)*o.n+i] = contract.DiagLogit
		}
	}
	return out, nil
}

func (o *edgeLogitsOp) SymDiff(_ gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &edgeGradOp{opBase: o.c.base("edgeGrad", []int{3}, nil, o.b*o.n, o.n, 1), b: o.b, n: o.n}
		return apply(op, g)
	}), nil
}

// edgeGradOp is g [B,N,N] as [B·N, N, 1] with a zero diagonal.
type edgeGradOp struct {
	opBase
	b, n int
}

func (o *edgeGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	out := o.out.dense()
	y := out.Float32s()
	copy(y, f32(vs[0]))
	for b := range o.b {
		for i := range o.n {
			y[(b*o.n+i)*o.n+i] = 0
		}
	}
	return out, nil
}

// queryRowsOp is out[(b,q),j,:] = Σ_i qm[b,q,i]·x[(b,i),j,:] for x [B·N,
// N, K] and the data qm [B,Q,N].
type queryRowsOp struct {
	opBase
	c          *gctx
	b, q, n, k int
}

func (o *queryRowsOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x, m := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	nk := o.n * o.k
	parFor(o.b*o.q, 1, func(lo, hi int) {
		for bq := lo; bq < hi; bq++ {
			b := bq / o.q
			dst := y[bq*nk : (bq+1)*nk]
			clear(dst)
			for i := range o.n {
				w := m[bq*o.n+i]
				if w == 0 {
					continue
				}
				src := x[(b*o.n+i)*nk : (b*o.n+i+1)*nk]
				for e, v := range src {
					dst[e] += w * v
				}
			}
		}
	})
	return out, nil
}

func (o *queryRowsOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &queryRowsGradOp{opBase: o.c.base("queryRowsGrad", []int{3, 3}, nil, o.b*o.n, o.n, o.k), b: o.b, q: o.q, n: o.n, k: o.k}
		return apply(op, g, in[1])
	}), nil
}

// queryRowsGradOp is dx[(b,i),j,:] = Σ_q qm[b,q,i]·g[(b,q),j,:].
type queryRowsGradOp struct {
	opBase
	b, q, n, k int
}

func (o *queryRowsGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, m := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	nk := o.n * o.k
	parFor(o.b*o.n, 4, func(lo, hi int) {
		for bi := lo; bi < hi; bi++ {
			b, i := bi/o.n, bi%o.n
			dst := y[bi*nk : (bi+1)*nk]
			clear(dst)
			for q := range o.q {
				w := m[(b*o.q+q)*o.n+i]
				if w == 0 {
					continue
				}
				src := g[(b*o.q+q)*nk : (b*o.q+q+1)*nk]
				for e, v := range src {
					dst[e] += w * v
				}
			}
		}
	})
	return out, nil
}

// effectOp is effect[i] = Σ_k scale[i,k]·pred[i,k] + fixed[i] for pred
// [B·Q, N, K] and the data scale [B,Q,N,K] and fixed [B,Q,N]: the affine
// map of model.DataStats.Effect from the head's output to the effect.
type effectOp struct {
	opBase
	c *gctx
	k int
}

func (o *effectOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	p, s, f := f32(vs[0]), f32(vs[1]), f32(vs[2])
	out := o.out.dense()
	y := out.Float32s()
	for i := range y {
		v := f[i]
		for k := range o.k {
			v += s[i*o.k+k] * p[i*o.k+k]
		}
		y[i] = v
	}
	return out, nil
}

func (o *effectOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &effectGradOp{opBase: o.c.base("effectGrad", []int{3, 4}, nil, in[0].Shape()...), k: o.k}
		return apply(op, g, in[1])
	}), nil
}

// effectGradOp is dpred[i,k] = g[i]·scale[i,k], shaped as pred.
type effectGradOp struct {
	opBase
	k int
}

func (o *effectGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, s := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	for i := range y {
		y[i] = g[i/o.k] * s[i]
	}
	return out, nil
}

// weightedMSEOp is Σ w·(pred − target)² / #{w > 0} for the data target
// and weights w (≥ 0), each shaped as pred: with w = 1/SD², the mean
// squared error in SD units over the weighted entries.
type weightedMSEOp struct {
	opBase
	c   *gctx
	val float64
}

func (o *weightedMSEOp) value() float64 { return o.val }

func (o *weightedMSEOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	p, t, w := f32(vs[0]), f32(vs[1]), f32(vs[2])
	var s, sw float64
	for i := range p {
		d := float64(p[i]) - float64(t[i])
		s += float64(w[i]) * d * d
		if w[i] > 0 {
			sw++
		}
	}
	o.val = 0
	if sw > 0 {
		o.val = s / sw
	}
	out := o.out.dense()
	out.Float32s()[0] = float32(o.val)
	return out, nil
}

func (o *weightedMSEOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &weightedMSEGradOp{opBase: o.c.base("mseGrad", []int{in[0].Dims(), in[1].Dims(), in[2].Dims(), 1}, nil, in[0].Shape()...)}
		return apply(op, in[0], in[1], in[2], g)
	}), nil
}

// weightedMSEGradOp is 2·g·w·(pred − target)/#{w > 0}.
type weightedMSEGradOp struct{ opBase }

func (o *weightedMSEGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	p, t, w, g := f32(vs[0]), f32(vs[1]), f32(vs[2]), f32(vs[3])
	out := o.out.dense()
	d := out.Float32s()
	var sw float64
	for _, v := range w {
		if v > 0 {
			sw++
		}
	}
	scale := 0.0
	if sw > 0 {
		scale = 2 * float64(g[0]) / sw
	}
	for i := range p {
		d[i] = float32(scale * float64(w[i]) * (float64(p[i]) - float64(t[i])))
	}
	return out, nil
}
