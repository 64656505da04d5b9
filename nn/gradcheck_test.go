package nn

import (
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// projOp is the test cost Σ R∘y, accumulated in float64. Inputs: y.
type projOp struct {
	opBase
	c *gctx
	r []float32
	// sum and abs are Σ R∘y and Σ|R∘y| in float64 (the [1] output is only
	// float32).
	sum, abs float64
}

func (o *projOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	y := f32(vs[0])
	var s, a float64
	for i, v := range y {
		s += float64(v) * float64(o.r[i])
		a += math.Abs(float64(v) * float64(o.r[i]))
	}
	o.sum, o.abs = s, a
	out := o.out.dense()
	out.Float32s()[0] = float32(s)
	return out, nil
}

func (o *projOp) SymDiff(in gorgonia.Nodes, _, g *gorgonia.Node) (gorgonia.Nodes, error) {
	op := &projGradOp{opBase: o.c.base("projGrad", []int{1}, nil, in[0].Shape()...), r: o.r}
	return gorgonia.Nodes{apply(op, g)}, nil
}

// projGradOp is R·g.
type projGradOp struct {
	opBase
	r []float32
}

func (o *projGradOp) Do(vs ...gorgonia.Value) (gorgonia.Value, error) {
	g := f32(vs[0])[0]
	out := o.out.dense()
	d := out.Float32s()
	for i, v := range o.r {
		d[i] = v * g
	}
	return out, nil
}

// gradCase is one finite-difference check: build renders the op under test
// on differentiable inputs (params) and data inputs (no gradient).
type gradCase struct {
	name   string
	train  bool
	params map[string][]int
	data   map[string][]int
	// init fills an input; nil draws N(0, 1).
	init  func(name string, x []float32, rng *rand.Rand)
	build func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node
	// tol bounds |analytic − fd| relative to max(|fd|, rms of the input's
	// analytic gradient), on top of the rounding noise floor (see checkGrad).
	tol float64
	// h is the central-difference step (default 1e-2).
	h float64
	// dropout is the builder's Config.Dropout (attention masks).
	dropout float64
}

// gradHarness is a compiled gradCase.
type gradHarness struct {
	vm     gorgonia.VM
	bd     *builder
	params map[string]*tensor.Dense
	grads  map[string]*gorgonia.Node
	cost   *gorgonia.Node
	proj   *projOp
	out    *gorgonia.Node
}

func newHarness(t testing.TB, tc gradCase, seed uint64) *gradHarness {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	fill := func(name string, x []float32) {
		if tc.init != nil {
			tc.init(name, x, rng)
			return
		}
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
	}
	h := &gradHarness{params: map[string]*tensor.Dense{}, grads: map[string]*gorgonia.Node{}}
	names := sortedKeys(tc.params)
	for _, name := range names {
		shape := tc.params[name]
		d := tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32))
		fill(name, d.Float32s())
		if tc.init == nil && strings.HasSuffix(name, "/weight") && len(shape) >= 2 {
			// realistic scale: N(0, 1/fan-in), as the initialisers
			for i, v := range d.Float32s() {
				d.Float32s()[i] = v / float32(math.Sqrt(float64(shape[len(shape)-2])))
			}
		}
		h.params[name] = d
	}
	eg := gorgonia.NewGraph()
	h.bd = &builder{c: &gctx{ar: &arena{}, train: tc.train}, g: eg, params: h.params,
		pnodes: map[string]*gorgonia.Node{}, needs: map[*gorgonia.Node]bool{},
		acts: map[*gorgonia.Node]*actInfo{}, data: map[*gorgonia.Node]*buf{}}
	in := map[string]*gorgonia.Node{}
	for _, name := range names {
		in[name] = h.bd.param(name)
	}
	for _, name := range sortedKeys(tc.data) {
		node, v := h.bd.input(name, tc.data[name]...)
		fill(name, v.data())
		in[name] = node
	}
	h.bd.cfg.Dropout = tc.dropout
	h.out = tc.build(h.bd, in)
	for _, d := range h.bd.drops {
		fillDropout(d.val.data(), d.p, rng)
	}
	r := make([]float32, h.out.Shape().TotalSize())
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	c := h.bd.c
	h.proj = &projOp{opBase: c.base("proj", []int{h.out.Dims()}, []bool{true}, 1), c: c, r: r}
	h.cost = apply(h.proj, h.out)
	one, ov := h.bd.input("one", 1)
	ov.data()[0] = 1
	wrt := make(gorgonia.Nodes, len(names))
	for i, name := range names {
		wrt[i] = in[name]
	}
	gs, err := gorgonia.Backpropagate(gorgonia.Nodes{h.cost}, gorgonia.Nodes{one}, wrt)
	if err != nil {
		t.Fatalf("%s: backpropagate: %v", tc.name, err)
	}
	for i, name := range names {
		h.grads[name] = gs[i]
	}
	prog, locMap, err := gorgonia.CompileFunction(eg, h.bd.inputs, append(gorgonia.Nodes{h.cost, h.out}, gs...))
	if err != nil {
		t.Fatalf("%s: compile: %v", tc.name, err)
	}
	h.vm = gorgonia.NewTapeMachine(eg, gorgonia.WithPrecompiled(prog, locMap))
	return h
}

func (h *gradHarness) run(t testing.TB) float64 {
	t.Helper()
	for node, v := range h.bd.data {
		if err := gorgonia.Let(node, v.dense()); err != nil {
			t.Fatal(err)
		}
	}
	h.vm.Reset()
	if err := h.vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return h.proj.sum
}

func sortedKeys[V any](m map[string]V) []string {
	k := make([]string, 0, len(m))
	for n := range m {
		k = append(k, n)
	}
	sort.Strings(k)
	return k
}

// checkGrad compares the analytic gradient of every differentiable input
// with central differences on up to 24 random elements each, and returns
// the worst raw scaled error |analytic − fd|/max(|fd|, rms) (noise floor
// not subtracted), for the log.
func checkGrad(t *testing.T, tc gradCase) float64 {
	t.Helper()
	h := newHarness(t, tc, 1)
	h.run(t)
	step := tc.h
	if step == 0 {
		step = 1e-2
	}
	rng := rand.New(rand.NewPCG(7, 7))
	worst := 0.0
	analytics := map[string][]float32{}
	for name, g := range h.grads {
		analytics[name] = append([]float32(nil), f32(g.Value())...)
	}
	for _, name := range sortedKeys(tc.params) {
		analytic := analytics[name]
		var rms float64
		for _, v := range analytic {
			rms += float64(v) * float64(v)
		}
		rms = math.Sqrt(rms / float64(len(analytic)))
		x := h.params[name].Float32s()
		idx := rng.Perm(len(x))
		if len(idx) > 24 {
			idx = idx[:24]
		}
		for _, i := range idx {
			orig := x[i]
			x[i] = orig + float32(step)
			up := h.run(t)
			absUp := h.proj.abs
			x[i] = orig - float32(step)
			down := h.run(t)
			x[i] = orig
			hh := float64(orig+float32(step)) - float64(orig-float32(step))
			fd := (up - down) / hh
			// Rounding noise of the float32 forward: each output carries a
			// relative error of a few ε₃₂ (2⁻²⁴), so the cost is off by up to
			// ~4ε₃₂·Σ|R∘y|, and the difference quotient by twice that over hh.
			noise := 8 * 0x1p-24 * absUp / hh
			scale := math.Max(math.Abs(fd), rms)
			e := math.Max(0, math.Abs(float64(analytic[i])-fd)-noise) / scale
			if scale == 0 {
				e = 0
			}
			worst = math.Max(worst, math.Abs(float64(analytic[i])-fd)/scale)
			if e > tc.tol {
				t.Errorf("%s: d/d%s[%d]: analytic %.6g, finite difference %.6g ± %.2g (scaled error %.3g > %.3g)",
					tc.name, name, i, analytic[i], fd, noise, e, tc.tol)
			}
		}
	}
	return worst
}
