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
}

// channelMajor copies src [B·N, N, K] to dst [B, K, N, N].
func channelMajor(dst, src []float32, b, n, k int) {
	for bi := range b {
		for i := range n {
			for j := range n {
				s := src[((bi*n+i)*n+j)*k:][:k]
				for c, v := range s {
					dst[((bi*k+c)*n+i)*n+j] = v
				}
			}
		}
	}
}

func (o *pairProductOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	p, q := f32(vs[0]), f32(vs[1])
	out := o.out.dense()
	y := out.Float32s()
	b, n, k := o.b, o.n, o.k
	pc, qc, yc := make([]float32, len(p)), make([]float32, len(q)), make([]float32, len(y))
	channelMajor(pc, p, b, n, k)
	channelMajor(qc, q, b, n, k)
	nn := n * n
	alpha := 1 / float32(n)
	parFor(b*k, 1, func(lo, hi int) {
		for g := lo; g < hi; g++ {
			gemm.Mul(o.transP, o.transQ, n, n, n, alpha, pc[g*nn:(g+1)*nn], n, qc[g*nn:(g+1)*nn], n, 0, yc[g*nn:(g+1)*nn], n)
		}
	})
	for bi := range b {
		for c := range k {
			grid := yc[(bi*k+c)*nn:][:nn]
			for ij, v := range grid {
				y[(bi*nn+ij)*k+c] = v
			}
		}
	}
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
