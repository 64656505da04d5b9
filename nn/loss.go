package nn

import "gorgonia.org/gorgonia"

// Loss terms as builder methods (each returns a [1] node).

// huber is the mean Huber loss of pred against the data target, with the
// threshold δ read from the [1] input delta.
func (bd *builder) huber(pred, target, delta *gorgonia.Node) *gorgonia.Node {
	c := bd.c
	return bd.out(&huberOp{opBase: c.base("huber", []int{pred.Dims(), target.Dims(), 1}, []bool{true, false, false}, 1), c: c}, pred, target, delta)
}

// bce is the mean off-diagonal BCE-with-logits of logits [B,N,N] against adj.
func (bd *builder) bce(logits, adj *gorgonia.Node) *gorgonia.Node {
	c := bd.c
	return bd.out(&bceOp{opBase: c.base("bce", []int{3, 3}, []bool{true, false}, 1), c: c, n: logits.Shape()[1]}, logits, adj)
}

// edgeProbs is σ(logits) with a zero diagonal.
func (bd *builder) edgeProbs(logits *gorgonia.Node) *gorgonia.Node {
	c := bd.c
	return bd.out(&sigmoidOp{opBase: c.base("sigmoid", []int{3}, []bool{true}, logits.Shape()...), c: c, n: logits.Shape()[1]}, logits)
}

// gumbelSample is Model C's straight-through Gumbel-sigmoid sample of
// logits with logistic noise and temperature tau [1].
func (bd *builder) gumbelSample(logits, noise, tau *gorgonia.Node) *gorgonia.Node {
	c := bd.c
	s := logits.Shape()
	op := &gumbelOp{opBase: c.base("gumbel", []int{3, 3, 1}, []bool{true, false, false}, s...), c: c, n: s[1], ysoft: c.buf(s...)}
	return bd.out(op, logits, noise, tau)
}

// acyclicity is mean_b c·(tr(exp(A_b∘A_b/c)) − N).
func (bd *builder) acyclicity(a *gorgonia.Node) *gorgonia.Node {
	c := bd.c
	s := a.Shape()
	return bd.out(&acycOp{opBase: c.base("acyclicity", []int{3}, []bool{true}, 1), c: c, b: s[0], n: s[1]}, a)
}

// l1 is the mean of A over its off-diagonal entries.
func (bd *builder) l1(a *gorgonia.Node) *gorgonia.Node {
	c := bd.c
	return bd.out(&l1Op{opBase: c.base("l1", []int{3}, []bool{true}, 1), c: c, n: a.Shape()[1]}, a)
}

// combine is Σ_i w[i]·parts[i] for the data weights w [len(parts)].
func (bd *builder) combine(w *gorgonia.Node, parts ...*gorgonia.Node) *gorgonia.Node {
	c := bd.c
	ranks := make([]int, len(parts)+1)
	diff := make([]bool, len(parts)+1)
	for i := range parts {
		ranks[i], diff[i] = 1, true
	}
	ranks[len(parts)] = 1
	op := &combineOp{opBase: c.base("total", ranks, diff, 1), c: c, k: len(parts), parts: parts}
	return bd.out(op, append(append(gorgonia.Nodes(nil), parts...), w)...)
}
