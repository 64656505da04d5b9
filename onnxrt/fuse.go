package onnxrt

import (
	"math"
	"slices"
	"strconv"

	"causeway/internal/gemm"
)

// fuse rewrites the exporter's hot patterns into single kernels:
//
//   - GELU: Div(x, √2) → Erf → Add(1) → Mul(x) → Mul(0.5)
//   - Linear: MatMul(x, W) with a 2-D initializer W, then Add of a 1-D
//     initializer bias, then Relu or GELU
//   - LayerNorm: ReduceMean → Sub → Mul → ReduceMean → Add(eps) → Sqrt →
//     Div → Mul(weight) → Add(bias), with the residual Add in front of it
//   - Attention: the q/k/v Reshape/Transpose chain, MatMul, Mul(scale),
//     optional Add(bias), Softmax, MatMul, Transpose, Reshape; and the
//     three q/k/v Linears of one input merged into a single GEMM.
//
// Every match checks operators, attributes and constants and that the
// intermediate values have no other reader; anything else runs unfused.
func (x *ir) fuse() {
	x.fuseGELU()
	x.index()
	x.fuseLayerNorm()
	x.index()
	x.fuseLinear()
	x.index()
	x.fuseAttention()
	x.index()
	x.fuseQKV()
	x.index()
	x.packWeights()
}

// packLinear turns packWeights's packing on; benchmarks turn it off to
// compare.
var packLinear = true

// sparseLinear lets packWeights choose the sparse product for a ReLU's
// input; tests turn it off to compare.
var sparseLinear = true

// packWeights makes every live Linear's bias and activation its product's
// epilogue, and lays out its weights in package gemm's panels once
// (gemm.Pack, the same layout on every kernel path), dropping the
// row-major copy, so that no call re-packs them. A Linear whose input is
// a ReLU's output and whose weights are all finite skips the input's
// zeros (gemm.MulPackedBiasSparse: the same bits, but for the sign of a
// zero sum reached by underflow).
func (x *ir) packWeights() {
	for _, n := range x.nodes {
		if l, ok := n.k.(*linearKernel); ok && !n.dead {
			l.epi = l.epilogue()
			l.sparse = sparseLinear && x.reluOutput(n.in[0]) && allFinite(l.w)
			if packLinear && l.w != nil {
				l.packed, l.w = gemm.Pack(l.w, l.k, l.nout), nil
			}
		}
	}
}

// reluOutput reports whether v is the output of a ReLU: a Relu node or a
// Linear ending in one.
func (x *ir) reluOutput(v string) bool {
	if x.from(v, "Relu") != nil {
		return true
	}
	p := x.from(v, "Linear")
	if p == nil {
		return false
	}
	l, ok := p.k.(*linearKernel)
	return ok && l.act == opRelu
}

// allFinite reports whether no value of w is infinite or NaN.
func allFinite(w []float32) bool {
	for _, v := range w {
		if math.IsInf(float64(v), 0) || v != v {
			return false
		}
	}
	return true
}

// only reports whether n is the one node reading v (and v is no output).
func (x *ir) only(v string, n *irNode) bool {
	cs := x.consumers[v]
	return !x.outputs[v] && len(cs) == 1 && cs[0] == n
}

// from returns the live producer of v if it has operator op.
func (x *ir) from(v, op string) *irNode {
	p := x.producer[v]
	if p == nil || p.dead || p.op != op {
		return nil
	}
	return p
}

// scalar returns the value of a one-element float initializer.
func (x *ir) scalar(v string) (float32, bool) {
	t := x.consts[v]
	if t == nil || t.dtype != dtFloat || len(t.f) != 1 {
		return 0, false
	}
	return t.f[0], true
}

func (x *ir) isScalar(v string, want float64, tol float64) bool {
	f, ok := x.scalar(v)
	return ok && math.Abs(float64(f)-want) <= tol
}

// ints returns an int64 initializer's values.
func (x *ir) ints(v string) ([]int64, bool) {
	t := x.consts[v]
	if t == nil || t.dtype != dtInt64 {
		return nil, false
	}
	return t.i, true
}

func equalInts(a []int64, b ...int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// other returns the input of a two-input node that is not v, and whether
// v is one of its inputs.
func other(n *irNode, v string) (string, bool) {
	if len(n.in) != 2 {
		return "", false
	}
	switch v {
	case n.in[0]:
		return n.in[1], true
	case n.in[1]:
		return n.in[0], true
	}
	return "", false
}

func attrInts(n *irNode, name string) []int64 {
	if a, ok := n.attrs[name]; ok {
		return a.GetInts()
	}
	return nil
}

func (x *ir) fuseGELU() {
	for _, half := range x.nodes {
		if half.dead || half.op != "Mul" || len(half.in) != 2 {
			continue
		}
		var prodOut string
		switch {
		case x.isScalar(half.in[1], 0.5, 0):
			prodOut = half.in[0]
		case x.isScalar(half.in[0], 0.5, 0):
			prodOut = half.in[1]
		default:
			continue
		}
		mul := x.from(prodOut, "Mul")
		if mul == nil || !x.only(prodOut, half) || len(mul.in) != 2 {
			continue
		}
		for _, order := range [][2]int{{0, 1}, {1, 0}} {
			xv, ev := mul.in[order[0]], mul.in[order[1]]
			add := x.from(ev, "Add")
			if add == nil || !x.only(ev, mul) {
				continue
			}
			var erfOut string
			switch {
			case len(add.in) == 2 && x.isScalar(add.in[1], 1, 0):
				erfOut = add.in[0]
			case len(add.in) == 2 && x.isScalar(add.in[0], 1, 0):
				erfOut = add.in[1]
			default:
				continue
			}
			erf := x.from(erfOut, "Erf")
			if erf == nil || !x.only(erfOut, add) || len(erf.in) != 1 {
				continue
			}
			div := x.from(erf.in[0], "Div")
			if div == nil || !x.only(erf.in[0], erf) || len(div.in) != 2 || div.in[0] != xv || !x.isScalar(div.in[1], math.Sqrt2, 1e-6) {
				continue
			}
			for _, d := range []*irNode{mul, add, erf, div} {
				d.dead = true
			}
			*half = irNode{name: half.name, op: "Gelu", in: []string{xv}, out: half.out, k: unaryKernel{opGelu}}
			break
		}
	}
}

func (x *ir) fuseLayerNorm() {
	lastAxis := func(n *irNode) bool {
		return equalInts(attrInts(n, "axes"), -1) && attrInt(n, "keepdims", 1) == 1 && len(n.in) == 1
	}
	for _, mean := range x.nodes {
		if mean.dead || mean.op != "ReduceMean" || !lastAxis(mean) {
			continue
		}
		xv := mean.in[0]
		cs := x.consumers[mean.out[0]]
		if x.outputs[mean.out[0]] || len(cs) != 1 || cs[0].op != "Sub" {
			continue
		}
		sub := cs[0]
		if len(sub.in) != 2 || sub.in[0] != xv || sub.in[1] != mean.out[0] {
			continue
		}
		dev := sub.out[0]
		var sq, div *irNode
		if x.outputs[dev] {
			continue
		}
		for _, c := range x.consumers[dev] {
			switch {
			case c.op == "Mul" && len(c.in) == 2 && c.in[0] == dev && c.in[1] == dev:
				sq = c
			case c.op == "Div" && len(c.in) == 2 && c.in[0] == dev:
				div = c
			}
		}
		if sq == nil || div == nil || len(x.consumers[dev]) != 2 {
			continue
		}
		cs = x.consumers[sq.out[0]]
		if x.outputs[sq.out[0]] || len(cs) != 1 || cs[0].op != "ReduceMean" || !lastAxis(cs[0]) {
			continue
		}
		variance := cs[0]
		cs = x.consumers[variance.out[0]]
		if x.outputs[variance.out[0]] || len(cs) != 1 || cs[0].op != "Add" {
			continue
		}
		addEps := cs[0]
		epsName, ok := other(addEps, variance.out[0])
		eps, isScalar := x.scalar(epsName)
		if !ok || !isScalar || eps <= 0 {
			continue
		}
		sqrt := x.consumers[addEps.out[0]]
		if x.outputs[addEps.out[0]] || len(sqrt) != 1 || sqrt[0].op != "Sqrt" || !x.only(sqrt[0].out[0], div) || div.in[1] != sqrt[0].out[0] {
			continue
		}
		cs = x.consumers[div.out[0]]
		if x.outputs[div.out[0]] || len(cs) != 1 || cs[0].op != "Mul" {
			continue
		}
		scale := cs[0]
		wName, _ := other(scale, div.out[0])
		w := x.consts[wName]
		if w == nil || w.dtype != dtFloat || len(w.shape) != 1 {
			continue
		}
		cs = x.consumers[scale.out[0]]
		if x.outputs[scale.out[0]] || len(cs) != 1 || cs[0].op != "Add" {
			continue
		}
		shift := cs[0]
		bName, _ := other(shift, scale.out[0])
		b := x.consts[bName]
		if b == nil || b.dtype != dtFloat || !slices.Equal(b.shape, w.shape) {
			continue
		}
		k := &layerNormKernel{w: w.f, b: b.f, eps: float64(eps)}
		in := []string{xv}
		// The residual Add in front, when only this LayerNorm reads it.
		if add := x.from(xv, "Add"); add != nil && len(add.in) == 2 && !x.outputs[xv] && len(x.consumers[xv]) == 2 &&
			x.consts[add.in[0]] == nil && x.consts[add.in[1]] == nil {
			k.residual = true
			in = add.in
			add.dead = true
		}
		for _, d := range []*irNode{mean, sub, sq, variance, addEps, sqrt[0], div, scale} {
			d.dead = true
		}
		*shift = irNode{name: shift.name, op: "LayerNorm", in: in, out: shift.out, k: k}
	}
}

func (x *ir) fuseLinear() {
	for _, mm := range x.nodes {
		if mm.dead || mm.op != "MatMul" || len(mm.in) != 2 {
			continue
		}
		w := x.consts[mm.in[1]]
		if w == nil || w.dtype != dtFloat || len(w.shape) != 2 || x.consts[mm.in[0]] != nil {
			continue
		}
		k := &linearKernel{w: w.f, k: w.shape[0], nout: w.shape[1], act: actNone}
		last := mm
		if cs := x.consumers[last.out[0]]; !x.outputs[last.out[0]] && len(cs) == 1 && cs[0].op == "Add" {
			bName, _ := other(cs[0], last.out[0])
			if b := x.consts[bName]; b != nil && b.dtype == dtFloat && len(b.shape) == 1 && b.shape[0] == k.nout {
				k.b = b.f
				last.dead = true
				last = cs[0]
			}
		}
		if cs := x.consumers[last.out[0]]; !x.outputs[last.out[0]] && len(cs) == 1 {
			switch {
			case cs[0].op == "Relu":
				k.act = opRelu
			case cs[0].op == "Gelu":
				k.act = opGelu
			}
			if k.act != actNone {
				last.dead = true
				last = cs[0]
			}
		}
		*last = irNode{name: last.name, op: "Linear", in: []string{mm.in[0]}, out: last.out, k: k}
		if last != mm {
			mm.dead = true
		}
	}
}

// headsReshape returns H and dh of a Reshape(v, [0, 0, H, dh]) read only by
// next, and v.
func (x *ir) headsReshape(v string, next *irNode) (h, dh int, src string, n *irNode) {
	n = x.from(v, "Reshape")
	if n == nil || !x.only(v, next) || len(n.in) != 2 || len(n.attrs) != 0 {
		return 0, 0, "", nil
	}
	s, ok := x.ints(n.in[1])
	if !ok || len(s) != 4 || s[0] != 0 || s[1] != 0 || s[2] < 1 || s[3] < 1 {
		return 0, 0, "", nil
	}
	return int(s[2]), int(s[3]), n.in[0], n
}

// transposed returns the Transpose producing v (read only by next) if its
// perm is perm.
func (x *ir) transposed(v string, next *irNode, perm ...int64) *irNode {
	t := x.from(v, "Transpose")
	if t == nil || !x.only(v, next) || !equalInts(attrInts(t, "perm"), perm...) {
		return nil
	}
	return t
}

func (x *ir) fuseAttention() {
	for _, sm := range x.nodes {
		if sm.dead || sm.op != "Softmax" || (attrInt(sm, "axis", -1) != -1 && attrInt(sm, "axis", -1) != 3) {
			continue
		}
		var dead []*irNode
		scaled, bias, next := sm.in[0], "", sm
		if add := x.from(scaled, "Add"); add != nil && x.only(scaled, sm) && len(add.in) == 2 {
			mulIn := ""
			for i, in := range add.in {
				if x.from(in, "Mul") != nil {
					mulIn, bias = in, add.in[1-i]
					break
				}
			}
			if mulIn == "" {
				continue
			}
			if u := x.from(bias, "Unsqueeze"); u != nil && len(u.in) == 2 {
				if axes, ok := x.ints(u.in[1]); ok && equalInts(axes, 1) {
					bias = u.in[0]
				}
			}
			dead = append(dead, add)
			scaled, next = mulIn, add
		}
		mul := x.from(scaled, "Mul")
		if mul == nil || !x.only(scaled, next) || len(mul.in) != 2 {
			continue
		}
		var scoresV string
		var scale float32
		if f, ok := x.scalar(mul.in[1]); ok {
			scoresV, scale = mul.in[0], f
		} else if f, ok := x.scalar(mul.in[0]); ok {
			scoresV, scale = mul.in[1], f
		} else {
			continue
		}
		scores := x.from(scoresV, "MatMul")
		if scores == nil || !x.only(scoresV, mul) || len(scores.in) != 2 {
			continue
		}
		qt := x.transposed(scores.in[0], scores, 0, 2, 1, 3)
		kt := x.transposed(scores.in[1], scores, 0, 2, 3, 1)
		if qt == nil || kt == nil {
			continue
		}
		hq, dq, q, qh := x.headsReshape(qt.in[0], qt)
		hk, dk, k, kh := x.headsReshape(kt.in[0], kt)
		cs := x.consumers[sm.out[0]]
		if qh == nil || kh == nil || hq != hk || dq != dk || x.outputs[sm.out[0]] || len(cs) != 1 || cs[0].op != "MatMul" || cs[0].in[0] != sm.out[0] {
			continue
		}
		ctx := cs[0]
		vt := x.transposed(ctx.in[1], ctx, 0, 2, 1, 3)
		if vt == nil {
			continue
		}
		hv, dv, v, vh := x.headsReshape(vt.in[0], vt)
		cs = x.consumers[ctx.out[0]]
		if vh == nil || hv != hq || dv != dq || x.outputs[ctx.out[0]] || len(cs) != 1 {
			continue
		}
		ct := cs[0]
		if ct.op != "Transpose" || !equalInts(attrInts(ct, "perm"), 0, 2, 1, 3) {
			continue
		}
		cs = x.consumers[ct.out[0]]
		if x.outputs[ct.out[0]] || len(cs) != 1 || cs[0].op != "Reshape" || len(cs[0].in) != 2 {
			continue
		}
		concat := cs[0]
		if s, ok := x.ints(concat.in[1]); !ok || !equalInts(s, 0, 0, int64(hq*dq)) {
			continue
		}
		dead = append(dead, sm, mul, scores, qt, kt, qh, kh, ctx, vt, vh, ct)
		for _, d := range dead {
			d.dead = true
		}
		in := []string{q, k, v}
		if bias != "" {
			in = append(in, bias)
		}
		*concat = irNode{name: concat.name, op: "Attention", in: in, out: concat.out,
			k: &attentionKernel{heads: hq, dh: dq, scale: scale, hasBias: bias != ""}}
	}
}

// fuseQKV merges the three Linear projections of an Attention, when they
// read the same input and only the Attention reads them, into one GEMM
// with the weights side by side.
func (x *ir) fuseQKV() {
	for _, at := range x.nodes {
		ak, ok := at.k.(*attentionKernel)
		if at.dead || !ok || ak.merged || len(at.in) < 3 {
			continue
		}
		var lin [3]*irNode
		var lk [3]*linearKernel
		good := at.in[0] != at.in[1] && at.in[1] != at.in[2] && at.in[0] != at.in[2]
		for i := 0; i < 3 && good; i++ {
			p := x.from(at.in[i], "Linear")
			if p == nil || !x.only(at.in[i], at) {
				good = false
				break
			}
			lin[i], lk[i] = p, p.k.(*linearKernel)
			l := lk[i]
			good = l.act == actNone && (i == 0 || (p.in[0] == lin[0].in[0] && l.k == lk[0].k && l.nout == lk[0].nout && (l.b == nil) == (lk[0].b == nil)))
		}
		if !good {
			continue
		}
		kk, d := lk[0].k, lk[0].nout
		w := make([]float32, kk*3*d)
		for r := 0; r < kk; r++ {
			for i := range lk {
				copy(w[r*3*d+i*d:r*3*d+(i+1)*d], lk[i].w[r*d:(r+1)*d])
			}
		}
		var b []float32
		if lk[0].b != nil {
			b = make([]float32, 0, 3*d)
			for i := range lk {
				b = append(b, lk[i].b...)
			}
		}
		name := at.name + "/qkv_" + strconv.Itoa(len(x.nodes))
		*lin[0] = irNode{name: lin[0].name + "+qkv", op: "Linear", in: lin[0].in, out: []string{name},
			k: &linearKernel{w: w, k: kk, nout: 3 * d, b: b, act: actNone}}
		lin[1].dead, lin[2].dead = true, true
		at.in = append([]string{name}, at.in[3:]...)
		merged := *ak
		merged.merged = true
		at.k = &merged
	}
}

// keepsScores reports whether the graph still computes an attention's
// scores as a value of its own (a live Softmax): the fused Attention keeps
// one N×N block in scratch instead.
func (x *ir) keepsScores() bool {
	for _, n := range x.nodes {
		if !n.dead && n.op == "Softmax" {
			return true
		}
	}
	return false
}
