package nn

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gorgonia.org/gorgonia"
)

// linearOp is y = x·W + b on the flat [m, in] view of x (rank 2 or 3).
// Inputs: x, W [in, out], b [out].
type linearOp struct {
	opBase
	c            *gctx
	m, in, outer int
}

func newLinear(c *gctx, x *gorgonia.Node, m, in, out int, diffX bool) *linearOp {
	shape := append(append([]int(nil), x.Shape()[:x.Dims()-1]...), out)
	return &linearOp{opBase: c.base("linear", []int{x.Dims(), 2, 1}, []bool{diffX, true, true}, shape...),
		c: c, m: m, in: in, outer: out}
}

func (o *linearOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x, w, b := f32(vs[0]), f32(vs[1]), f32(vs[2])
	out := o.out.dense()
	y := out.Float32s()
	for i := 0; i < o.m; i++ {
		copy(y[i*o.outer:(i+1)*o.outer], b)
	}
	gemmMul(false, false, o.m, o.outer, o.in, 1, x, o.in, w, o.outer, 1, y, o.outer)
	return out, nil
}

func (o *linearOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	c := o.c
	return grads(o.diff,
		func() *gorgonia.Node {
			op := &linearDXOp{opBase: c.base("linearDX", []int{g.Dims(), 2}, nil, in[0].Shape()...), m: o.m, in: o.in, nOut: o.outer}
			return apply(op, g, in[1])
		},
		func() *gorgonia.Node {
			op := &linearDWOp{opBase: c.base("linearDW", []int{in[0].Dims(), g.Dims()}, nil, o.in, o.outer), m: o.m, in: o.in, nOut: o.outer}
			return apply(op, in[0], g)
		},
		func() *gorgonia.Node { return colSum(c, g, o.m, o.outer) },
	), nil
}

// linearDXOp is dx = g·Wᵀ. Inputs: g [m, out], W [in, out].
type linearDXOp struct {
	opBase
	m, in, nOut int
}

func (o *linearDXOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, w := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	gemmMul(false, true, o.m, o.in, o.nOut, 1, g, o.nOut, w, o.nOut, 0, out.Float32s(), o.in)
	return out, nil
}

// linearDWOp is dW = xᵀ·g. Inputs: x [m, in], g [m, out].
type linearDWOp struct {
	opBase
	m, in, nOut int
}

func (o *linearDWOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x, g := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	gemmMul(true, false, o.in, o.nOut, o.m, 1, x, o.in, g, o.nOut, 0, out.Float32s(), o.nOut)
	return out, nil
}

// colSumOp sums the rows of the flat [m, n] view of its input: the bias
// gradient (BLAS sgemv with a ones vector).
type colSumOp struct {
	opBase
	m, n int
	ones []float32
}

func colSum(c *gctx, g *gorgonia.Node, m, n int) *gorgonia.Node {
	return apply(&colSumOp{opBase: c.base("colSum", []int{g.Dims()}, nil, n), m: m, n: n}, g)
}

func (o *colSumOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g := f32(vs[0])
	out := o.out.dense()
	if o.ones == nil {
		o.ones = make([]float32, o.m)
		for i := range o.ones {
			o.ones[i] = 1
		}
	}
	blas32.Implementation().Sgemv(blas.Trans, o.m, o.n, 1, g, o.n, o.ones, 1, 0, out.Float32s(), 1)
	return out, nil
}

// addOp is a + b for equal shapes.
type addOp struct{ opBase }

func (o *addOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	a, b := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	for i := range y {
		y[i] = a[i] + b[i]
	}
	return out, nil
}

func (o *addOp) SymDiff(_ gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node { return g }, func() *gorgonia.Node { return g }), nil
}

// mulOp is a ∘ b for equal shapes (dropout: b is the mask input).
type mulOp struct {
	opBase
	c *gctx
}

func newMul(c *gctx, a, b *gorgonia.Node, diffA, diffB bool) *mulOp {
	return &mulOp{opBase: c.base("mul", []int{a.Dims(), b.Dims()}, []bool{diffA, diffB}, a.Shape()...), c: c}
}

func (o *mulOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	a, b := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	for i := range y {
		y[i] = a[i] * b[i]
	}
	return out, nil
}

func (o *mulOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff,
		func() *gorgonia.Node { return apply(newMul(o.c, g, in[1], false, false), g, in[1]) },
		func() *gorgonia.Node { return apply(newMul(o.c, g, in[0], false, false), g, in[0]) },
	), nil
}

// reshapeOp copies its input into a new shape of the same size (Squeeze).
type reshapeOp struct {
	opBase
	c *gctx
}

func newReshape(c *gctx, x *gorgonia.Node, diff bool, shape ...int) *reshapeOp {
	return &reshapeOp{opBase: c.base("reshape", []int{x.Dims()}, []bool{diff}, shape...), c: c}
}

func (o *reshapeOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	out := o.out.dense()
	copy(out.Float32s(), f32(vs[0]))
	return out, nil
}

func (o *reshapeOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		return apply(newReshape(o.c, g, false, in[0].Shape()...), g)
	}), nil
}

// addPosOp adds rows 0..N−1 of a position table [maxN, D] to x [B, N, D].
type addPosOp struct {
	opBase
	c          *gctx
	b, n, d, t int // t = table rows
}

func (o *addPosOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x, p := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	nd := o.n * o.d
	for b := 0; b < o.b; b++ {
		xb, yb := x[b*nd:(b+1)*nd], y[b*nd:(b+1)*nd]
		for i := range yb {
			yb[i] = xb[i] + p[i]
		}
	}
	return out, nil
}

func (o *addPosOp) SymDiff(_ gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff,
		func() *gorgonia.Node { return g },
		func() *gorgonia.Node {
			op := &posGradOp{opBase: o.c.base("posGrad", []int{3}, nil, o.t, o.d), b: o.b, n: o.n, d: o.d}
			return apply(op, g)
		}), nil
}

// posGradOp is the position table's gradient: row n = Σ_b g[b, n, :] for
// n < N, zero below.
type posGradOp struct {
	opBase
	b, n, d int
}

func (o *posGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g := f32(vs[0])
	out := o.out.dense()
	s := out.Float32s()
	clear(s)
	nd := o.n * o.d
	for b := 0; b < o.b; b++ {
		gb := g[b*nd : (b+1)*nd]
		for i, v := range gb {
			s[i] += v
		}
	}
	return out, nil
}
