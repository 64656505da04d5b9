package nn

import (
	"gorgonia.org/gorgonia"
)

// expertsOp is Model B's node experts (see model.Builder.NodeExperts).
// Inputs: x [B, N, D], W1 [E, D, H], b1 [E, H], W2 [E, H], b2 [E]. Training
// graphs store the hidden activations and their GELU derivatives.
type expertsOp struct {
	opBase
	c             *gctx
	b, n, d, h, e int
	z, act, dact  *buf // [N, B, H]
}

func (o *expertsOp) expert(n int) int {
	if o.e == 1 {
		return 0
	}
	return n
}

func (o *expertsOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x, w1, b1, w2, b2 := f32(vs[0]), f32(vs[1]), f32(vs[2]), f32(vs[3]), f32(vs[4])
	out := o.out.dense()
	y := out.Float32s()
	B, N, D, H := o.b, o.n, o.d, o.h
	z, act := o.z.data(), o.act.data()
	var dact []float32
	if o.dact != nil {
		dact = o.dact.data()
	}
	for n := 0; n < N; n++ {
		e := o.expert(n)
		zn := z[n*B*H : (n+1)*B*H]
		for b := 0; b < B; b++ {
			copy(zn[b*H:(b+1)*H], b1[e*H:(e+1)*H])
		}
		gemmMul(false, false, B, H, D, 1, x[n*D:], N*D, w1[e*D*H:], H, 1, zn, H)
		an := act[n*B*H : (n+1)*B*H]
		if dact != nil {
			geluSlice(zn, an, dact[n*B*H:(n+1)*B*H])
		} else {
			geluSlice(zn, an, nil)
		}
		w := w2[e*H : (e+1)*H]
		for b := 0; b < B; b++ {
			s := b2[e]
			for j, v := range an[b*H : (b+1)*H] {
				s += v * w[j]
			}
			y[b*N+n] = s
		}
	}
	return out, nil
}

func (o *expertsOp) SymDiff(in gorgonia.Nodes, y, g *gorgonia.Node) (gorgonia.Nodes, error) {
	c := o.c
	gop := &expertsGradOp{opBase: c.base("expertsGrad", []int{2, 2, 3, 3, 2}, nil, o.b, o.n, o.d), fwd: o,
		dw1: c.buf(o.e, o.d, o.h), db1: c.buf(o.e, o.h), dw2: c.buf(o.e, o.h), db2: c.buf(o.e), dz: c.buf(o.b, o.h)}
	dx := apply(gop, y, g, in[0], in[1], in[3])
	sel := func(b *buf) func() *gorgonia.Node {
		return func() *gorgonia.Node {
			return apply(&selectOp{opBase: c.base("select", []int{3}, nil, b.shape...), src: b}, dx)
		}
	}
	return grads(o.diff, func() *gorgonia.Node { return dx }, sel(gop.dw1), sel(gop.db1), sel(gop.dw2), sel(gop.db2)), nil
}

// expertsGradOp computes every expert gradient in one pass; it returns dx
// and fills dW1, db1, dW2, db2 for selectOp. Inputs: forward output
// (ordering), g [B, N], x, W1, W2.
type expertsGradOp struct {
	opBase
	fwd                    *expertsOp
	dw1, db1, dw2, db2, dz *buf
}

func (o *expertsGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	f := o.fwd
	g, x, w1, w2 := f32(vs[1]), f32(vs[2]), f32(vs[3]), f32(vs[4])
	out := o.out.dense()
	dx := out.Float32s()
	dw1, db1, dw2, db2, dz := o.dw1.data(), o.db1.data(), o.dw2.data(), o.db2.data(), o.dz.data()
	clear(dw1)
	clear(db1)
	clear(dw2)
	clear(db2)
	B, N, D, H := f.b, f.n, f.d, f.h
	act, dact := f.act.data(), f.dact.data()
	for n := 0; n < N; n++ {
		e := f.expert(n)
		an, dn := act[n*B*H:(n+1)*B*H], dact[n*B*H:(n+1)*B*H]
		w := w2[e*H : (e+1)*H]
		dw, db := dw2[e*H:(e+1)*H], db1[e*H:(e+1)*H]
		for b := 0; b < B; b++ {
			gb := g[b*N+n]
			db2[e] += gb
			ar, dr, zr := an[b*H:(b+1)*H], dn[b*H:(b+1)*H], dz[b*H:(b+1)*H]
			for j := range zr {
				dw[j] += gb * ar[j]
				zr[j] = gb * w[j] * dr[j]
				db[j] += zr[j]
			}
		}
		gemmMul(true, false, D, H, B, 1, x[n*D:], N*D, dz, H, 1, dw1[e*D*H:(e+1)*D*H], H)
		gemmMul(false, true, B, D, H, 1, dz, H, w1[e*D*H:], H, 0, dx[n*D:], N*D)
	}
	return out, nil
}

// maskedSumOp is Σ_n mask[b,n]·x[b,n,:] [B, K]. Inputs: x [B, N, K], mask.
type maskedSumOp struct {
	opBase
	c       *gctx
	b, n, k int
}

func (o *maskedSumOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x, m := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	clear(y)
	for b := 0; b < o.b; b++ {
		for n := 0; n < o.n; n++ {
			w := m[b*o.n+n]
			if w == 0 {
				continue
			}
			xr := x[(b*o.n+n)*o.k : (b*o.n+n+1)*o.k]
			for j, v := range xr {
				y[b*o.k+j] += w * v
			}
		}
	}
	return out, nil
}

func (o *maskedSumOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, func() *gorgonia.Node {
		op := &maskedSumGradOp{opBase: o.c.base("maskedSumGrad", []int{2, 2}, nil, o.b, o.n, o.k), b: o.b, n: o.n, k: o.k}
		return apply(op, g, in[1])
	}), nil
}

// maskedSumGradOp is dx[b,n,:] = mask[b,n]·g[b,:]. Inputs: g, mask.
type maskedSumGradOp struct {
	opBase
	b, n, k int
}

func (o *maskedSumGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, m := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	dx := out.Float32s()
	for b := 0; b < o.b; b++ {
		for n := 0; n < o.n; n++ {
			w := m[b*o.n+n]
			dr := dx[(b*o.n+n)*o.k : (b*o.n+n+1)*o.k]
			for j := range dr {
				dr[j] = w * g[b*o.k+j]
			}
		}
	}
	return out, nil
}

// maskedRowsOp is Σ_n mask[b,n]·table[n,:] [B, K]. Inputs: mask [B, N],
// table [T, K].
type maskedRowsOp struct {
	opBase
	c          *gctx
	b, n, k, t int
}

func (o *maskedRowsOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	m, tab := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	clear(y)
	for b := 0; b < o.b; b++ {
		for n := 0; n < o.n; n++ {
			w := m[b*o.n+n]
			if w == 0 {
				continue
			}
			for j, v := range tab[n*o.k : (n+1)*o.k] {
				y[b*o.k+j] += w * v
			}
		}
	}
	return out, nil
}

func (o *maskedRowsOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	return grads(o.diff, nil, func() *gorgonia.Node {
		op := &maskedRowsGradOp{opBase: o.c.base("maskedRowsGrad", []int{2, 2}, nil, o.t, o.k), b: o.b, n: o.n, k: o.k}
		return apply(op, g, in[0])
	}), nil
}

// maskedRowsGradOp is dtable[n,:] = Σ_b mask[b,n]·g[b,:] for n < N, zero
// below. Inputs: g, mask.
type maskedRowsGradOp struct {
	opBase
	b, n, k int
}

func (o *maskedRowsGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, m := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	dt := out.Float32s()
	clear(dt)
	for b := 0; b < o.b; b++ {
		for n := 0; n < o.n; n++ {
			w := m[b*o.n+n]
			if w == 0 {
				continue
			}
			dr := dt[n*o.k : (n+1)*o.k]
			for j := range dr {
				dr[j] += w * g[b*o.k+j]
			}
		}
	}
	return out, nil
}

// rowDotOp is Σ_d x[b,n,d]·w[b,d] [B, N]. Inputs: x [B, N, D], w [B, D].
type rowDotOp struct {
	opBase
	c       *gctx
	b, n, d int
}

func (o *rowDotOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	x, w := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	for b := 0; b < o.b; b++ {
		wb := w[b*o.d : (b+1)*o.d]
		for n := 0; n < o.n; n++ {
			var s float32
			for j, v := range x[(b*o.n+n)*o.d : (b*o.n+n+1)*o.d] {
				s += v * wb[j]
			}
			y[b*o.n+n] = s
		}
	}
	return out, nil
}

func (o *rowDotOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	c := o.c
	return grads(o.diff,
		func() *gorgonia.Node {
			op := &rowDotGradOp{opBase: c.base("rowDotGradX", []int{2, 2}, nil, o.b, o.n, o.d), b: o.b, n: o.n, d: o.d}
			return apply(op, g, in[1])
		},
		func() *gorgonia.Node {
			op := &rowDotGradOp{opBase: c.base("rowDotGradW", []int{2, 3}, nil, o.b, o.d), b: o.b, n: o.n, d: o.d, wrtW: true}
			return apply(op, g, in[0])
		}), nil
}

// rowDotGradOp is dx[b,n,:] = g[b,n]·w[b,:] (inputs g, w) or, with wrtW,
// dw[b,:] = Σ_n g[b,n]·x[b,n,:] (inputs g, x).
type rowDotGradOp struct {
	opBase
	b, n, d int
	wrtW    bool
}

func (o *rowDotGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g, v := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	D := o.d
	if o.wrtW {
		clear(y)
		for b := 0; b < o.b; b++ {
			yb := y[b*D : (b+1)*D]
			for n := 0; n < o.n; n++ {
				gn := g[b*o.n+n]
				for j, xv := range v[(b*o.n+n)*D : (b*o.n+n+1)*D] {
					yb[j] += gn * xv
				}
			}
		}
		return out, nil
	}
	for b := 0; b < o.b; b++ {
		wb := v[b*D : (b+1)*D]
		for n := 0; n < o.n; n++ {
			gn := g[b*o.n+n]
			yr := y[(b*o.n+n)*D : (b*o.n+n+1)*D]
			for j := range yr {
				yr[j] = gn * wb[j]
			}
		}
	}
	return out, nil
}
