package nn

import (
	"math"

	"gorgonia.org/gorgonia"

	"causeway/internal/simd"
	"causeway/model"
)

// actOp applies GELU (exact erf form) or ReLU elementwise. In training graphs
// GELU also stores its derivative for the backward op.
type actOp struct {
	opBase
	c    *gctx
	act  model.Activation
	grad *buf // GELU derivative (training graphs only)
}

func newAct(c *gctx, x *gorgonia.Node, act model.Activation, diff bool) *actOp {
	o := &actOp{opBase: c.base("act_"+string(act), []int{x.Dims()}, []bool{diff}, x.Shape()...), c: c, act: act}
	if act == model.GELU && c.train && diff {
		o.grad = c.buf(x.Shape()...)
	}
	return o
}

func (o *actOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x := f32(vs[0])
	out := o.out.dense()
	y := out.Float32s()
	switch o.act {
	case model.GELU:
		var d []float32
		if o.grad != nil {
			d = o.grad.data()
		}
		parFor(len(x), 16384, func(lo, hi int) {
			if d == nil {
				geluSlice(x[lo:hi], y[lo:hi], nil)
			} else {
				geluSlice(x[lo:hi], y[lo:hi], d[lo:hi])
			}
		})
	default:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	}
	return out, nil
}

// SymDiff: the backward op reads the stored derivative (GELU) or the output
// (ReLU); the forward node is its first input so it runs after the forward.
func (o *actOp) SymDiff(_ gorgonia.Nodes, y, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &actGradOp{opBase: o.c.base("actGrad", []int{y.Dims(), g.Dims()}, nil, y.Shape()...), fwd: o}
		return apply(op, y, g)
	}), nil
}

// actGradOp is g ∘ act'(x). Inputs: the forward output y, g.
type actGradOp struct {
	opBase
	fwd *actOp
}

func (o *actGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	y, g := f32(vs[0]), f32(vs[1])
	if o.fwd.act == model.GELU {
		d := o.fwd.grad.data()
		for i := range d {
			d[i] *= g[i]
		}
		return o.fwd.grad.dense(), nil // in place, as scaledGradOp
	}
	out := o.out.dense()
	dx := out.Float32s()
	for i := range dx {
		if y[i] > 0 {
			dx[i] = g[i]
		} else {
			dx[i] = 0
		}
	}
	return out, nil
}

// actDropOp fuses act and dropout (training graphs only): y = act(z) ∘ mask,
// and it stores act'(z) ∘ mask so the backward is one multiply. Inputs: z,
// mask.
type actDropOp struct {
	opBase
	c    *gctx
	act  model.Activation
	grad *buf
}

func newActDrop(c *gctx, z, mask *gorgonia.Node, act model.Activation, diff bool) *actDropOp {
	return &actDropOp{opBase: c.base("actDrop_"+string(act), []int{z.Dims(), mask.Dims()}, []bool{diff, false}, z.Shape()...),
		c: c, act: act, grad: c.buf(z.Shape()...)}
}

func (o *actDropOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	z, m := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	d := o.grad.data()
	parFor(len(z), 16384, func(lo, hi int) {
		if o.act == model.GELU {
			geluDropSlice(z[lo:hi], m[lo:hi], y[lo:hi], d[lo:hi])
			return
		}
		for i := lo + simd.ReLUDrop(y[lo:hi], d[lo:hi], z[lo:hi], m[lo:hi]); i < hi; i++ {
			if z[i] > 0 {
				y[i], d[i] = z[i]*m[i], m[i]
			} else {
				y[i], d[i] = 0, 0
			}
		}
	})
	return out, nil
}

func (o *actDropOp) SymDiff(_ gorgonia.Nodes, y, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &scaledGradOp{opBase: o.c.base("actDropGrad", []int{y.Dims(), g.Dims()}, nil, y.Shape()...), d: o.grad}
		return apply(op, y, g)
	}), nil
}

// scaledGradOp is g ∘ d for a derivative d stored by its forward op,
// computed in place in d's buffer. Inputs: the forward output (ordering
// only), g.
type scaledGradOp struct {
	opBase
	d *buf
}

func (o *scaledGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g := f32(vs[1])
	d := o.d.data()
	parFor(len(d), 65536, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			d[i] *= g[i]
		}
	})
	// The derivative buffer is private to the forward op and read only
	// here, so the gradient overwrites it (one [B·N, FF] buffer less).
	return o.d.dense(), nil
}

// layerNormOp normalises the flat [m, d] view of x over its last axis
// (biased variance, eps model.LayerNormEps) and applies weight and bias.
// In training it stores x̂ and 1/σ per row. Inputs: x, w [d], b [d].
type layerNormOp struct {
	opBase
	c          *gctx
	m, d       int
	xhat, rstd *buf
}

func newLayerNorm(c *gctx, x *gorgonia.Node, diffX bool) *layerNormOp {
	s := x.Shape()
	d := s[len(s)-1]
	m := s.TotalSize() / d
	o := &layerNormOp{opBase: c.base("layerNorm", []int{x.Dims(), 1, 1}, []bool{diffX, true, true}, s...), c: c, m: m, d: d}
	if c.train {
		o.xhat, o.rstd = c.buf(m, d), c.buf(m)
	}
	return o
}

func (o *layerNormOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x, w, b := f32(vs[0]), f32(vs[1]), f32(vs[2])
	out := o.out.dense()
	y := out.Float32s()
	var xh, rs []float32
	if o.xhat != nil {
		xh, rs = o.xhat.data(), o.rstd.data()
	}
	d := o.d
	parFor(o.m, 64, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := x[i*d : (i+1)*d]
			var mean float64
			for _, v := range row {
				mean += float64(v)
			}
			mean /= float64(d)
			var vr float64
			for _, v := range row {
				dv := float64(v) - mean
				vr += dv * dv
			}
			vr /= float64(d)
			r := 1 / math.Sqrt(vr+model.LayerNormEps)
			yr := y[i*d : (i+1)*d]
			for j, v := range row {
				h := (float64(v) - mean) * r
				yr[j] = float32(h)*w[j] + b[j]
				if xh != nil {
					xh[i*d+j] = float32(h)
				}
			}
			if rs != nil {
				rs[i] = float32(r)
			}
		}
	})
	return out, nil
}

func (o *layerNormOp) SymDiff(in gorgonia.Nodes, y, g *gorgonia.Node) (gorgonia.Nodes, error) {
	c := o.c
	return grads(o.diff,
		func() *gorgonia.Node {
			op := &lnDXOp{opBase: c.base("layerNormDX", []int{y.Dims(), g.Dims(), 1}, nil, y.Shape()...), fwd: o}
			return apply(op, y, g, in[1])
		},
		func() *gorgonia.Node {
			op := &lnDWOp{opBase: c.base("layerNormDW", []int{y.Dims(), g.Dims()}, nil, o.d), fwd: o}
			return apply(op, y, g)
		},
		func() *gorgonia.Node { return colSum(c, g, o.m, o.d) },
	), nil
}

// lnDXOp is LayerNorm's input gradient
// dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ∘x̂)), ĝ = g∘w.
// Inputs: forward output (ordering), g, w.
type lnDXOp struct {
	opBase
	fwd *layerNormOp
}

func (o *lnDXOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, w := f32(vs[1]), f32(vs[2])
	xh, rs := o.fwd.xhat.data(), o.fwd.rstd.data()
	out := o.out.dense()
	dx := out.Float32s()
	d := o.fwd.d
	parFor(o.fwd.m, 64, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gr, xr := g[i*d:(i+1)*d], xh[i*d:(i+1)*d]
			var s1, s2 float64
			for j, v := range gr {
				gh := float64(v * w[j])
				s1 += gh
				s2 += gh * float64(xr[j])
			}
			s1 /= float64(d)
			s2 /= float64(d)
			r := float64(rs[i])
			dr := dx[i*d : (i+1)*d]
			for j, v := range gr {
				dr[j] = float32(r * (float64(v*w[j]) - s1 - float64(xr[j])*s2))
			}
		}
	})
	return out, nil
}

// lnDWOp is LayerNorm's weight gradient Σ_rows g∘x̂. Inputs: forward
// output (ordering), g.
type lnDWOp struct {
	opBase
	fwd *layerNormOp
}

func (o *lnDWOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g := f32(vs[1])
	xh := o.fwd.xhat.data()
	out := o.out.dense()
	s := out.Float32s()
	clear(s)
	d := o.fwd.d
	for i := 0; i < o.fwd.m; i++ {
		gr, xr := g[i*d:(i+1)*d], xh[i*d:(i+1)*d]
		for j, v := range gr {
			s[j] += v * xr[j]
		}
	}
	return out, nil
}
