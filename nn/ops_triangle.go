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
	pc, qc, yc     *buf // channel-major p, q and out [B,K,N,N], arena slots
}

// newPairProduct builds a pairProductOp with its arena slots.
func newPairProduct(c *gctx, kind string, diff []bool, b, n, k int, transP, transQ bool) *pairProductOp {
	return &pairProductOp{opBase: c.base(kind, []int{3, 3}, diff, b*n, n, k), c: c, b: b, n: n, k: k,
		transP: transP, transQ: transQ, pc: c.buf(b, k, n, n), qc: c.buf(b, k, n, n), yc: c.buf(b, k, n, n)}
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
	// Arena slots: shared with the other graphs of the Net, which run one
	// at a time.
	pc, qc, yc := o.pc.data(), o.qc.data(), o.yc.data()
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
			return apply(newPairProduct(o.c, "pairProductGrad", nil, o.b, o.n, o.k, transP, transQ), p, q)
		}
	}
	return grads(o.diff, mk(false, true, g, in[1]), mk(true, false, in[0], g)), nil
}
