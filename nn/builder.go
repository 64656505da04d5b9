package nn

import (
	"fmt"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"causeway/model"
)

// builder renders model.Forward on one gorgonia graph. On a misuse (wrong
// names or shapes: programming errors) its methods panic with a
// *model.BuildError (model.Failf), as every model.Builder does; Net.build
// returns it as an error (model.RecoverBuild).
type builder struct {
	c      *gctx
	g      *gorgonia.ExprGraph
	cfg    model.Config
	params map[string]*tensor.Dense // the Net's shared parameter tensors

	pnodes map[string]*gorgonia.Node
	needs  map[*gorgonia.Node]bool // node depends on a parameter
	acts   map[*gorgonia.Node]*actInfo
	inputs gorgonia.Nodes          // every input node (data, masks, parameters)
	data   map[*gorgonia.Node]*buf // arena-backed values of the data inputs
	drops  []*dropInput            // dropout masks, in creation order

	// Model F's precomputed data inputs (see buildDataSet).
	pairs, queries, scale, fixed *gorgonia.Node
}

// actInfo remembers an activation so Dropout can fuse with it.
type actInfo struct {
	z   *gorgonia.Node
	act model.Activation
}

// dropInput is a dropout mask input: its values are 0 or 1/(1−p), drawn
// before every step.
type dropInput struct {
	node *gorgonia.Node
	val  *buf
	p    float64
}

var _ model.Builder[*gorgonia.Node] = (*builder)(nil)

// input adds a data input node whose value lives in an arena slot (bound
// again before every run, as the slot may move).
func (bd *builder) input(name string, shape ...int) (*gorgonia.Node, *buf) {
	v := bd.c.buf(shape...)
	n := gorgonia.NewTensor(bd.g, tensor.Float32, len(shape), gorgonia.WithShape(shape...), gorgonia.WithName(name), gorgonia.WithValue(v.dense()))
	bd.inputs = append(bd.inputs, n)
	bd.data[n] = v
	return n, v
}

// param returns the node of a parameter, bound to the Net's shared tensor.
func (bd *builder) param(name string) *gorgonia.Node {
	if n, ok := bd.pnodes[name]; ok {
		return n
	}
	v, ok := bd.params[name]
	if !ok {
		model.Failf("parameter %s is not in the architecture", name)
	}
	n := gorgonia.NewTensor(bd.g, tensor.Float32, v.Dims(), gorgonia.WithShape(v.Shape()...), gorgonia.WithName(name), gorgonia.WithValue(v))
	bd.pnodes[name] = n
	bd.needs[n] = true
	bd.inputs = append(bd.inputs, n)
	return n
}

// out applies op and records whether the result depends on a parameter.
func (bd *builder) out(op gorgonia.Op, children ...*gorgonia.Node) *gorgonia.Node {
	n := apply(op, children...)
	for _, ch := range children {
		if bd.needs[ch] {
			bd.needs[n] = true
		}
	}
	return n
}

func (bd *builder) Features(base, intv, target, mask *gorgonia.Node) *gorgonia.Node {
	s := base.Shape()
	op := &featuresOp{opBase: bd.c.base("features", []int{3, 3, 2, 2}, nil, s[0], s[2], 6),
		b: s[0], s: s[1], n: s[2], floor: bd.cfg.StdFloor, clipAbs: bd.cfg.FeatureClip}
	return bd.out(op, base, intv, target, mask)
}

func (bd *builder) PairLogits(base, intv *gorgonia.Node, name string) *gorgonia.Node {
	s := base.Shape()
	B, S, N := s[0], s[1], s[2]
	st := bd.out(&pairStatsOp{opBase: bd.c.base("pairStats", []int{3, 3}, nil, B, 2, N, N),
		b: B, s: S, n: N, floor: bd.cfg.StdFloor}, base, intv)
	w := bd.param(name + "/weight")
	op := &pairWeightOp{opBase: bd.c.base("pairWeight", []int{4, 1}, []bool{false, true}, B, N, N), c: bd.c, b: B, n: N}
	return bd.out(op, st, w)
}

func (bd *builder) MeanShift(intv, target *gorgonia.Node) *gorgonia.Node {
	s := intv.Shape()
	op := &meanShiftOp{opBase: bd.c.base("meanShift", []int{3, 2}, nil, s[0], s[2]), b: s[0], s: s[1], n: s[2]}
	return bd.out(op, intv, target)
}

func (bd *builder) Linear(x *gorgonia.Node, name string) *gorgonia.Node {
	w, b := bd.param(name+"/weight"), bd.param(name+"/bias")
	s := x.Shape()
	in, out := w.Shape()[0], w.Shape()[1]
	if s[len(s)-1] != in {
		model.Failf("linear %s: input %v, weight %v", name, s, w.Shape())
	}
	return bd.out(newLinear(bd.c, x, s.TotalSize()/in, in, out, bd.needs[x]), x, w, b)
}

func (bd *builder) AddPositions(x *gorgonia.Node, name string) *gorgonia.Node {
	t := bd.param(name)
	s := x.Shape()
	op := &addPosOp{opBase: bd.c.base("addPos", []int{3, 2}, []bool{bd.needs[x], true}, s...),
		c: bd.c, b: s[0], n: s[1], d: s[2], t: t.Shape()[0]}
	return bd.out(op, x, t)
}

func (bd *builder) Activate(x *gorgonia.Node, act model.Activation) *gorgonia.Node {
	y := bd.out(newAct(bd.c, x, act, bd.needs[x]), x)
	bd.acts[y] = &actInfo{z: x, act: act}
	return y
}

func (bd *builder) LayerNorm(x *gorgonia.Node, name string) *gorgonia.Node {
	w, b := bd.param(name+"/weight"), bd.param(name+"/bias")
	return bd.out(newLayerNorm(bd.c, x, bd.needs[x]), x, w, b)
}

func (bd *builder) Attention(x *gorgonia.Node, name string, heads int, bias *gorgonia.Node, hasBias bool) *gorgonia.Node {
	q := bd.Linear(x, name+"/q_proj")
	k := bd.Linear(x, name+"/k_proj")
	v := bd.Linear(x, name+"/v_proj")
	s := q.Shape()
	B, N, D := s[0], s[1], s[2]
	op := &attnOp{c: bd.c, b: B, n: N, d: D, h: heads, hasBias: hasBias}
	children := gorgonia.Nodes{q, k, v}
	if hasBias {
		children = append(children, bias)
	}
	if bd.c.train && bd.cfg.Dropout > 0 {
		op.hasMask = true
		children = append(children, bd.mask(bd.cfg.Dropout, B, heads, N, N))
	}
	ranks := make([]int, len(children))
	diff := make([]bool, len(children))
	for i, ch := range children {
		ranks[i] = ch.Dims()
		diff[i] = bd.needs[ch] && !(op.hasMask && i == len(children)-1)
	}
	op.opBase = bd.c.base("attn", ranks, diff, B, N, D)
	op.p = bd.c.buf(B, heads, N, N)
	if op.hasMask {
		op.pd = bd.c.buf(B, heads, N, N)
	}
	return bd.Linear(bd.out(op, children...), name+"/out_proj")
}

// mask adds a dropout mask input of the given shape.
func (bd *builder) mask(p float64, shape ...int) *gorgonia.Node {
	n, v := bd.input(fmt.Sprintf("dropout_mask_%d", len(bd.drops)), shape...)
	bd.drops = append(bd.drops, &dropInput{node: n, val: v, p: p})
	return n
}

func (bd *builder) Dropout(x *gorgonia.Node, p float64) *gorgonia.Node {
	if !bd.c.train || p == 0 {
		return x
	}
	m := bd.mask(p, x.Shape()...)
	if a, ok := bd.acts[x]; ok {
		// act(z) then dropout: one fused op; the unfused activation node
		// is left unreachable and is not compiled.
		return bd.out(newActDrop(bd.c, a.z, m, a.act, bd.needs[a.z]), a.z, m)
	}
	return bd.out(newMul(bd.c, x, m, bd.needs[x], false), x, m)
}

func (bd *builder) Add(a, b *gorgonia.Node) *gorgonia.Node {
	if !a.Shape().Eq(b.Shape()) {
		model.Failf("add: shapes %v and %v", a.Shape(), b.Shape())
	}
	op := &addOp{opBase: bd.c.base("add", []int{a.Dims(), b.Dims()}, []bool{bd.needs[a], bd.needs[b]}, a.Shape()...)}
	return bd.out(op, a, b)
}

func (bd *builder) Bilinear(p, c *gorgonia.Node) *gorgonia.Node {
	s := p.Shape()
	op := &bilinearOp{opBase: bd.c.base("bilinear", []int{3, 3}, []bool{bd.needs[p], bd.needs[c]}, s[0], s[1], s[1]),
		c: bd.c, b: s[0], n: s[1], d: s[2]}
	return bd.out(op, p, c)
}

func (bd *builder) StructureBias(logits *gorgonia.Node) *gorgonia.Node {
	s := logits.Shape()
	op := &structBiasOp{opBase: bd.c.base("structBias", []int{3}, []bool{bd.needs[logits]}, s...), c: bd.c, b: s[0], n: s[1]}
	return bd.out(op, logits)
}

func (bd *builder) Squeeze(x *gorgonia.Node) *gorgonia.Node {
	s := x.Shape()
	if s[len(s)-1] != 1 {
		model.Failf("squeeze: shape %v", s)
	}
	return bd.out(newReshape(bd.c, x, bd.needs[x], s[:len(s)-1]...), x)
}

func (bd *builder) NodeExperts(x *gorgonia.Node, name string) *gorgonia.Node {
	w1, b1 := bd.param(name+"/linear1/weight"), bd.param(name+"/linear1/bias")
	w2, b2 := bd.param(name+"/linear2/weight"), bd.param(name+"/linear2/bias")
	s, ws := x.Shape(), w1.Shape()
	B, N, D, E, H := s[0], s[1], s[2], ws[0], ws[2]
	op := &expertsOp{opBase: bd.c.base("experts", []int{3, 3, 2, 2, 1}, []bool{bd.needs[x], true, true, true, true}, B, N),
		c: bd.c, b: B, n: N, d: D, h: H, e: E}
	op.z, op.act = bd.c.buf(N, B, H), bd.c.buf(N, B, H)
	if bd.c.train {
		op.dact = bd.c.buf(N, B, H)
	}
	return bd.out(op, x, w1, b1, w2, b2)
}

func (bd *builder) MaskedSum(x, mask *gorgonia.Node) *gorgonia.Node {
	s := x.Shape()
	op := &maskedSumOp{opBase: bd.c.base("maskedSum", []int{3, 2}, []bool{bd.needs[x], false}, s[0], s[2]),
		c: bd.c, b: s[0], n: s[1], k: s[2]}
	return bd.out(op, x, mask)
}

func (bd *builder) MaskedRows(mask *gorgonia.Node, name string) *gorgonia.Node {
	t := bd.param(name)
	s, ts := mask.Shape(), t.Shape()
	op := &maskedRowsOp{opBase: bd.c.base("maskedRows", []int{2, 2}, []bool{false, true}, s[0], ts[1]),
		c: bd.c, b: s[0], n: s[1], k: ts[1], t: ts[0]}
	return bd.out(op, mask, t)
}

func (bd *builder) RowDot(x, w *gorgonia.Node) *gorgonia.Node {
	s := x.Shape()
	op := &rowDotOp{opBase: bd.c.base("rowDot", []int{3, 2}, []bool{bd.needs[x], bd.needs[w]}, s[0], s[1]),
		c: bd.c, b: s[0], n: s[1], d: s[2]}
	return bd.out(op, x, w)
}
