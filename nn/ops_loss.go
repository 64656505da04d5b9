package nn

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"gorgonia.org/gorgonia"
)

// Every loss op returns a [1] tensor; its backward ops take the upstream
// gradient as a [1] tensor. The loss ops also keep their value in float64
// (lossValuer), which Net.Step reports.

// lossValuer is a loss op that keeps the float64 value of its last run.
type lossValuer interface{ value() float64 }

func (o *huberOp) value() float64   { return o.val }
func (o *bceOp) value() float64     { return o.val }
func (o *acycOp) value() float64    { return o.val }
func (o *l1Op) value() float64      { return o.val }
func (o *combineOp) value() float64 { return o.val }

// part is input i of the combine op in float64: the producing op's float64
// value when it keeps one, else the [1] value.
func (o *combineOp) part(i int, v gorgonia.Value) float64 {
	if o.parts != nil {
		if lv, ok := o.parts[i].Op().(lossValuer); ok {
			return lv.value()
		}
	}
	return float64(f32(v)[0])
}

// huberOp is PyTorch's huber_loss(pred, target, delta=δ) averaged over all
// B·N entries: ½d² for |d| ≤ δ, else δ(|d| − ½δ). Inputs: pred, target
// [B, N], δ [1] (the notebook's δ = 1).
type huberOp struct {
	opBase
	c   *gctx
	val float64
}

func (o *huberOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	p, t, delta := f32(vs[0]), f32(vs[1]), float64(f32(vs[2])[0])
	var s float64
	for i := range p {
		d := math.Abs(float64(p[i]) - float64(t[i]))
		if d <= delta {
			s += 0.5 * d * d
		} else {
			s += delta * (d - 0.5*delta)
		}
	}
	o.val = s / float64(len(p))
	out := o.out.dense()
	out.Float32s()[0] = float32(o.val)
	return out, nil
}

func (o *huberOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &huberGradOp{opBase: o.c.base("huberGrad", []int{in[0].Dims(), in[1].Dims(), 1, 1}, nil, in[0].Shape()...)}
		return apply(op, in[0], in[1], g, in[2])
	}), nil
}

// huberGradOp is g·clamp(pred − target, −δ, δ)/count. Inputs: pred,
// target, g, δ.
type huberGradOp struct{ opBase }

func (o *huberGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	p, t, g, delta := f32(vs[0]), f32(vs[1]), f32(vs[2]), float64(f32(vs[3])[0])
	out := o.out.dense()
	d := out.Float32s()
	scale := float64(g[0]) / float64(len(p))
	for i := range p {
		d[i] = float32(scale * math.Max(-delta, math.Min(delta, float64(p[i])-float64(t[i]))))
	}
	return out, nil
}

// offDiag reports whether flat index i of a stack of n×n matrices is off
// the diagonal.
func offDiag(i, n int) bool {
	r := i % (n * n)
	return r/n != r%n
}

// bceOp is binary cross-entropy with logits in the stable form
// max(x,0) − x·y + log(1 + e^(−|x|)), averaged over the off-diagonal entries
// (the diagonal holds contract.DiagLogit and is never an edge). Inputs: logits,
// adj [B, N, N].
type bceOp struct {
	opBase
	c   *gctx
	n   int
	val float64
}

func (o *bceOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	l, y := f32(vs[0]), f32(vs[1])
	var s float64
	cnt := 0
	for i := range l {
		if !offDiag(i, o.n) {
			continue
		}
		x := float64(l[i])
		s += math.Max(x, 0) - x*float64(y[i]) + math.Log1p(math.Exp(-math.Abs(x)))
		cnt++
	}
	o.val = s / float64(cnt)
	out := o.out.dense()
	out.Float32s()[0] = float32(o.val)
	return out, nil
}

func (o *bceOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &bceGradOp{opBase: o.c.base("bceGrad", []int{3, 3, 1}, nil, in[0].Shape()...), n: o.n}
		return apply(op, in[0], in[1], g)
	}), nil
}

// bceGradOp is g·(σ(x) − y)/count off the diagonal. Inputs: logits, adj, g.
type bceGradOp struct {
	opBase
	n int
}

func (o *bceGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	l, y, g := f32(vs[0]), f32(vs[1]), f32(vs[2])
	out := o.out.dense()
	d := out.Float32s()
	b := len(l) / (o.n * o.n)
	scale := float64(g[0]) / float64(b*o.n*(o.n-1))
	for i := range l {
		if !offDiag(i, o.n) {
			d[i] = 0
			continue
		}
		d[i] = float32(scale * (sigmoid(float64(l[i])) - float64(y[i])))
	}
	return out, nil
}

// sigmoidOp is A = σ(L) with the diagonal forced to 0. Input: L [B, N, N].
type sigmoidOp struct {
	opBase
	c *gctx
	n int
}

func (o *sigmoidOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	l := f32(vs[0])
	out := o.out.dense()
	a := out.Float32s()
	for i, v := range l {
		if offDiag(i, o.n) {
			a[i] = float32(sigmoid(float64(v)))
		} else {
			a[i] = 0
		}
	}
	return out, nil
}

func (o *sigmoidOp) SymDiff(_ gorgonia.Nodes, a, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &sigmoidGradOp{opBase: o.c.base("sigmoidGrad", []int{3, 3}, nil, a.Shape()...)}
		return apply(op, a, g)
	}), nil
}

// sigmoidGradOp is g·A·(1 − A). Inputs: A (the forward output), g.
type sigmoidGradOp struct{ opBase }

func (o *sigmoidGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	a, g := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	d := out.Float32s()
	for i, v := range a {
		d[i] = g[i] * v * (1 - v)
	}
	return out, nil
}

// gumbelOp is Model C's straight-through Gumbel-sigmoid (binary Concrete)
// sample: y_soft = σ((L + noise)/τ), forward value y = 1[y_soft > 0.5]
// (0 on the diagonal), gradient that of y_soft. Inputs: L, noise [B, N, N]
// (logistic noise log u − log(1−u)), τ [1]. It stores y_soft.
type gumbelOp struct {
	opBase
	c     *gctx
	n     int
	ysoft *buf
}

func (o *gumbelOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	l, z, tau := f32(vs[0]), f32(vs[1]), float64(f32(vs[2])[0])
	out := o.out.dense()
	y := out.Float32s()
	ys := o.ysoft.data()
	for i, v := range l {
		if !offDiag(i, o.n) {
			y[i], ys[i] = 0, 0
			continue
		}
		s := sigmoid((float64(v) + float64(z[i])) / tau)
		ys[i] = float32(s)
		if s > 0.5 {
			y[i] = 1
		} else {
			y[i] = 0
		}
	}
	return out, nil
}

func (o *gumbelOp) SymDiff(in gorgonia.Nodes, y, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &gumbelGradOp{opBase: o.c.base("gumbelGrad", []int{3, 3, 1}, nil, y.Shape()...), fwd: o}
		return apply(op, y, g, in[2])
	}), nil
}

// gumbelGradOp is g·y_soft·(1 − y_soft)/τ. Inputs: forward output
// (ordering), g, τ.
type gumbelGradOp struct {
	opBase
	fwd *gumbelOp
}

func (o *gumbelGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, tau := f32(vs[1]), f32(vs[2])[0]
	ys := o.fwd.ysoft.data()
	out := o.out.dense()
	d := out.Float32s()
	for i, s := range ys {
		d[i] = g[i] * s * (1 - s) / tau
	}
	return out, nil
}

// acyclicityScale is c = max(1, N/50) of the acyclicity term.
func acyclicityScale(n int) float64 { return math.Max(1, float64(n)/50) }

// acyclicity returns h(A) = c·(tr(exp(A∘A/c)) − N), c = acyclicityScale(N),
// for one N×N matrix, and exp(A∘A/c) (in e) for the gradient
// ∂h/∂A = 2·A∘exp(A∘A/c)ᵀ. For N ≤ 50 it is the notebook's tr(exp(A∘A)) − N;
// the scale keeps it finite for large N.
func acyclicity(a []float64, n int, e *mat.Dense) float64 {
	c := acyclicityScale(n)
	s := mat.NewDense(n, n, nil)
	for i, v := range a {
		s.RawMatrix().Data[i] = v * v / c
	}
	e.Exp(s)
	return c * (mat.Trace(e) - float64(n))
}

// acycOp is mean_b acyclicity(A_b). Input: A [B, N, N]. It stores
// exp(A∘A/c) per batch item.
type acycOp struct {
	opBase
	c    *gctx
	b, n int
	exps []*mat.Dense
	val  float64
}

func (o *acycOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	a := f32(vs[0])
	N := o.n
	if o.exps == nil {
		o.exps = make([]*mat.Dense, o.b)
		for i := range o.exps {
			o.exps[i] = mat.NewDense(N, N, nil)
		}
	}
	h := make([]float64, o.b)
	parFor(o.b, 1, func(lo, hi int) {
		ab := make([]float64, N*N)
		for b := lo; b < hi; b++ {
			for i := range ab {
				ab[i] = float64(a[b*N*N+i])
			}
			h[b] = acyclicity(ab, N, o.exps[b])
		}
	})
	var s float64
	for _, v := range h {
		s += v
	}
	o.val = s / float64(o.b)
	out := o.out.dense()
	out.Float32s()[0] = float32(o.val)
	return out, nil
}

func (o *acycOp) SymDiff(in gorgonia.Nodes, y, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &acycGradOp{opBase: o.c.base("acycGrad", []int{1, 3, 1}, nil, in[0].Shape()...), fwd: o}
		return apply(op, y, in[0], g)
	}), nil
}

// acycGradOp is (g/B)·2·A_b∘exp(A_b∘A_b/c)ᵀ. Inputs: forward output
// (ordering), A, g.
type acycGradOp struct {
	opBase
	fwd *acycOp
}

func (o *acycGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	a, g := f32(vs[1]), f32(vs[2])
	N := o.fwd.n
	scale := 2 * float64(g[0]) / float64(o.fwd.b)
	out := o.out.dense()
	d := out.Float32s()
	for b, e := range o.fwd.exps {
		ed := e.RawMatrix().Data
		for i := 0; i < N; i++ {
			for j := 0; j < N; j++ {
				k := b*N*N + i*N + j
				d[k] = float32(scale * float64(a[k]) * ed[j*N+i])
			}
		}
	}
	return out, nil
}

// l1Op is the mean of A over its off-diagonal entries (A ≥ 0, so this is
// the L1 norm per entry). Input: A [B, N, N].
type l1Op struct {
	opBase
	c   *gctx
	n   int
	val float64
}

func (o *l1Op) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	a := f32(vs[0])
	var s float64
	cnt := 0
	for i, v := range a {
		if offDiag(i, o.n) {
			s += math.Abs(float64(v))
			cnt++
		}
	}
	o.val = s / float64(cnt)
	out := o.out.dense()
	out.Float32s()[0] = float32(o.val)
	return out, nil
}

func (o *l1Op) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &l1GradOp{opBase: o.c.base("l1Grad", []int{3, 1}, nil, in[0].Shape()...), n: o.n}
		return apply(op, in[0], g)
	}), nil
}

// l1GradOp is g·sign(A)/count off the diagonal. Inputs: A, g.
type l1GradOp struct {
	opBase
	n int
}

func (o *l1GradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	a, g := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	d := out.Float32s()
	b := len(a) / (o.n * o.n)
	v := g[0] / float32(b*o.n*(o.n-1))
	for i, x := range a {
		switch {
		case !offDiag(i, o.n):
			d[i] = 0
		case x < 0:
			d[i] = -v
		case x > 0:
			d[i] = v
		default:
			d[i] = 0
		}
	}
	return out, nil
}

// combineOp is the weighted total Σ_i w[i]·part_i. Inputs: the parts [1]
// each, then w [len(parts)].
type combineOp struct {
	opBase
	c     *gctx
	k     int
	parts gorgonia.Nodes // the input nodes (set by the builder)
	val   float64
}

func (o *combineOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	w := f32(vs[o.k])
	var s float64
	for i := 0; i < o.k; i++ {
		s += float64(w[i]) * o.part(i, vs[i])
	}
	o.val = s
	out := o.out.dense()
	out.Float32s()[0] = float32(s)
	return out, nil
}

func (o *combineOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	mk := make([]func() *gorgonia.Node, o.k)
	for i := range mk {
		mk[i] = func() *gorgonia.Node {
			return apply(&pickScaleOp{opBase: o.c.base("pickScale", []int{1, 1}, nil, 1), i: i}, g, in[o.k])
		}
	}
	return grads(o.diff, mk...), nil
}

// pickScaleOp is g·w[i]. Inputs: g [1], w.
type pickScaleOp struct {
	opBase
	i int
}

func (o *pickScaleOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	out := o.out.dense()
	out.Float32s()[0] = f32(vs[0])[0] * f32(vs[1])[o.i]
	return out, nil
}
