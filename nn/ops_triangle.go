package nn

import (
	"gorgonia.org/gorgonia"

	"causeway/internal/gemm"
)

// pairProductOp is Model F's triangle product (model.Builder.PairProduct)
// and its two gradients: per batch element b and channel c, out_c =
// op(P_c)·op(Q_c)/N for the N×N grids P_c, Q_c of p and q [B·N, N, K]
// (op: transposed when transP/transQ). The forward is (a, x) untransposed;
// the gradient of a is (g, x) with x transposed, that of x is (a, g) with a
// transposed. The grids are gathered channel-major so each product is one
// GEMM.
type pairProductOp struct {
	opBase
	c              *gctx
	b, n, k        int
	transP, transQ bool
	scratch        []float32 // channel-major p, q and out
}

// channelMajor copies src [B·N, N, K] to dst [B, K, N, N]. Per row (b, i)
// it transposes an N×K block into K rows of N (6.4 kB at N = 50, K = 32,
// within L1 while it is written).
func channelMajor(dst, src []float32, b, n, k int) {
	nn := n * n
	parFor(b*n, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, i := r/n, r%n
			row := src[r*n*k:][:n*k]
			base := bi*k*nn + i*n
			for j := range n {
				for c, v := range row[j*k : (j+1)*k] {
					dst[base+c*nn+j] = v
				}
			}
		}
	})
}

// pairMajor is channelMajor's inverse: src [B, K, N, N] to dst [B·N, N, K].
func pairMajor(dst, src []float32, b, n, k int) {
	nn := n * n
	parFor(b*n, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			bi, i := r/n, r%n
			row := dst[r*n*k:][:n*k]
			base := bi*k*nn + i*n
			for j := range n {
				d := row[j*k : (j+1)*k]
				for c := range d {
					d[c] = src[base+c*nn+j]
				}
			}
		}
	})
}

func (o *pairProductOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	p, q := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	b, n, k := o.b, o.n, o.k
	if len(o.scratch) != 3*len(y) {
		// The op belongs to one compiled graph of fixed shape and runs once
		// per step, so its channel-major buffers are kept.
		o.scratch = make([]float32, 3*len(y))
	}
	pc, qc, yc := o.scratch[:len(y)], o.scratch[len(y):2*len(y)], o.scratch[2*len(y):]
	channelMajor(pc, p, b, n, k)
	channelMajor(qc, q, b, n, k)
	nn := n * n
	alpha := 1 / float32(n)
	parFor(b*k, 1, func(lo, hi int) {
		for g := lo; g < hi; g++ {
			gemm.Mul(o.transP, o.transQ, n, n, n, alpha, pc[g*nn:(g+1)*nn], n, qc[g*nn:(g+1)*nn], n, 0, yc[g*nn:(g+1)*nn], n)
		}
	})
	pairMajor(y, yc, b, n, k)
	return out, nil
}

func (o *pairProductOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	mk := func(transP, transQ bool, p, q *gorgonia.Node) func() *gorgonia.Node {
		return func() *gorgonia.Node {
			op := &pairProductOp{opBase: o.c.base("pairProductGrad", []int{3, 3}, nil, o.b*o.n, o.n, o.k), c: o.c,
				b: o.b, n: o.n, k: o.k, transP: transP, transQ: transQ}
			return apply(op, p, q)
		}
	}
	return grads(o.diff, mk(false, true, g, in[1]), mk(true, false, in[0], g)), nil
}
