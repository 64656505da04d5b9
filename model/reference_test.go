package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"causeway/contract"
)

// smallConfig is a fast architecture for tests.
func refConfig(v Variant, equivariant bool) Config {
	c := DefaultConfig(v)
	c.DModel, c.FF, c.Layers, c.StructLayers = 16, 32, 2, 1
	c.HyperDim, c.HyperHidden = 4, 8
	c.Equivariant = equivariant
	c.MeanShiftSkip = equivariant
	c.PairStats = equivariant
	return c
}

// TestMeanShiftSkip checks that the skip adds exactly mean_S(int) − target
// to delta and leaves adj_logits alone.
func TestMeanShiftSkip(t *testing.T) {
	for _, v := range Variants {
		c := refConfig(v, false)
		p, err := Init(c, 4)
		if err != nil {
			t.Fatal(err)
		}
		const b, s, n = 2, 7, 5
		rng := rand.New(rand.NewPCG(1, 2))
		base, intv := make([]float32, b*s*n), make([]float32, b*s*n)
		target, mask := make([]float32, b*n), make([]float32, b*n)
		for i := range base {
			base[i], intv[i] = float32(rng.NormFloat64()), float32(3+rng.NormFloat64())
		}
		for i := range target {
			target[i] = float32(rng.NormFloat64())
		}
		mask[1], mask[n+3] = 1, 1
		d0, a0, err := Predict(c, p, base, intv, target, mask, b, s, n)
		if err != nil {
			t.Fatal(err)
		}
		c.MeanShiftSkip = true
		d1, a1, err := Predict(c, p, base, intv, target, mask, b, s, n)
		if err != nil {
			t.Fatal(err)
		}
		for bi := 0; bi < b; bi++ {
			for j := 0; j < n; j++ {
				var m float64
				for k := 0; k < s; k++ {
					m += float64(intv[(bi*s+k)*n+j])
				}
				want := float64(d0[bi*n+j]) + m/s - float64(target[bi*n+j])
				if math.Abs(float64(d1[bi*n+j])-want) > 1e-5 {
					t.Fatalf("%s: delta[%d][%d] = %v, want %v", v, bi, j, d1[bi*n+j], want)
				}
			}
		}
		for i := range a0 {
			if a0[i] != a1[i] {
				t.Fatalf("%s: the skip changed adj_logits[%d]", v, i)
			}
		}
	}
}

// refBatch is one random input batch, float32 as the contract has it.
type refBatch struct {
	b, s, n                  int
	base, intv, target, mask []float32
}

func refRandomBatch(rng *rand.Rand, b, s, n int) refBatch {
	x := refBatch{b: b, s: s, n: n,
		base: make([]float32, b*s*n), intv: make([]float32, b*s*n),
		target: make([]float32, b*n), mask: make([]float32, b*n)}
	for bi := 0; bi < b; bi++ {
		node := rng.IntN(n)
		x.mask[bi*n+node] = 1
		for j := 0; j < n; j++ {
			scale := 0.5 + 3*rng.Float64()
			offset := 4 * rng.NormFloat64()
			for k := 0; k < s; k++ {
				x.base[(bi*s+k)*n+j] = float32(offset + scale*rng.NormFloat64())
				v := offset + 1.3*scale*rng.NormFloat64()
				if j == node {
					v = 8
				}
				x.intv[(bi*s+k)*n+j] = float32(v)
			}
			x.target[bi*n+j] = float32(offset + scale*rng.NormFloat64())
		}
	}
	return x
}

func (x refBatch) arrays() (base, intv, target, mask *Array) {
	return ArrayFrom(x.base, x.b, x.s, x.n), ArrayFrom(x.intv, x.b, x.s, x.n),
		ArrayFrom(x.target, x.b, x.n), ArrayFrom(x.mask, x.b, x.n)
}

// permute returns the refBatch with its node columns reordered: column j of
// the result is column perm[j] of x.
func (x refBatch) permute(perm []int) refBatch {
	y := refBatch{b: x.b, s: x.s, n: x.n,
		base: make([]float32, len(x.base)), intv: make([]float32, len(x.intv)),
		target: make([]float32, len(x.target)), mask: make([]float32, len(x.mask))}
	for bi := 0; bi < x.b; bi++ {
		for j := 0; j < x.n; j++ {
			for k := 0; k < x.s; k++ {
				y.base[(bi*x.s+k)*x.n+j] = x.base[(bi*x.s+k)*x.n+perm[j]]
				y.intv[(bi*x.s+k)*x.n+j] = x.intv[(bi*x.s+k)*x.n+perm[j]]
			}
			y.target[bi*x.n+j] = x.target[bi*x.n+perm[j]]
			y.mask[bi*x.n+j] = x.mask[bi*x.n+perm[j]]
		}
	}
	return y
}

func refNear(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol || math.IsNaN(got) {
		t.Errorf("%s = %.12g, want %.12g (tolerance %g)", what, got, want, tol)
	}
}

func refWith(c Config, params map[string]*Array) *Reference {
	return &Reference{cfg: c, params: params}
}

func TestFeaturesByHand(t *testing.T) {
	c := DefaultConfig(VariantA) // StdFloor 0.01, FeatureClip 50
	r := refWith(c, nil)
	// B=1, S=3, N=2. Column 0 is well scaled; column 1 is constant in the
	// base samples, so the floor and the clip act.
	base := &Array{Shape: []int{1, 3, 2}, Data: []float64{1, 5, 2, 5, 3, 5}}
	intv := &Array{Shape: []int{1, 3, 2}, Data: []float64{4, 5, 4, 5, 7, 6}}
	target := &Array{Shape: []int{1, 2}, Data: []float64{3, -100}}
	mask := &Array{Shape: []int{1, 2}, Data: []float64{1, 0}}
	f := r.Features(base, intv, target, mask)
	if !slices.Equal(f.Shape, []int{1, 2, 6}) {
		t.Fatalf("shape %v, want [1 2 6]", f.Shape)
	}
	bStd := 1 + StdEps // var (1+0+1)/2 = 1
	want0 := []float64{2, bStd, 3 / bStd, (math.Sqrt(3) + StdEps) / bStd, 1 / bStd, 1}
	// Column 1: b_std = 1e-6 → den = 0.01; i_mean 16/3, i_var 1/3.
	iStd1 := math.Sqrt(1.0/3) + StdEps
	want1 := []float64{5, StdEps, (16.0/3 - 5) / 0.01, math.Min(iStd1/0.01, 50), -50, 0}
	for k := 0; k < 6; k++ {
		refNear(t, "node0 feature "+string(rune('0'+k)), f.Data[k], want0[k], 1e-12)
		refNear(t, "node1 feature "+string(rune('0'+k)), f.Data[6+k], want1[k], 1e-9)
	}
	if want1[3] != 50 {
		t.Fatalf("test premise: i_std/den should clip, got %g", want1[3])
	}
}

func TestLayerNormByHand(t *testing.T) {
	r := refWith(Config{}, map[string]*Array{
		"ln/weight": {Shape: []int{4}, Data: []float64{2, 2, 1, 1}},
		"ln/bias":   {Shape: []int{4}, Data: []float64{0.5, 0, 0, -1}},
	})
	x := &Array{Shape: []int{1, 2, 4}, Data: []float64{1, 2, 3, 4, 7, 7, 7, 7}}
	y := r.LayerNorm(x, "ln")
	// Row 0: mean 2.5, biased variance 1.25.
	s := math.Sqrt(1.25 + LayerNormEps)
	want := []float64{-1.5/s*2 + 0.5, -0.5 / s * 2, 0.5 / s, 1.5/s - 1, 0.5, 0, 0, -1}
	for i := range want {
		refNear(t, "layernorm", y.Data[i], want[i], 1e-12)
	}
}

func refIdentity(d int) *Array {
	a := NewArray(d, d)
	for i := 0; i < d; i++ {
		a.Data[i*d+i] = 1
	}
	return a
}

func refAttnParams(name string, d int, w map[string]*Array) map[string]*Array {
	p := map[string]*Array{}
	for _, proj := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
		if m, ok := w[proj]; ok {
			p[name+"/"+proj+"/weight"] = m
		} else {
			p[name+"/"+proj+"/weight"] = refIdentity(d)
		}
		p[name+"/"+proj+"/bias"] = NewArray(d)
	}
	return p
}

func TestAttentionHeadsByHand(t *testing.T) {
	r := refWith(Config{}, refAttnParams("a", 2, nil))
	x := &Array{Shape: []int{1, 2, 2}, Data: []float64{1, 0, 0, 1}}

	// One head of width 2: scores = x·xᵀ/√2.
	y := r.Attention(x, "a", 1, nil, false)
	a := 1 / math.Sqrt2
	p := math.Exp(a) / (math.Exp(a) + 1)
	want := []float64{p, 1 - p, 1 - p, p}
	for i := range want {
		refNear(t, "1 head", y.Data[i], want[i], 1e-12)
	}

	// Two heads of width 1 (scale 1): head 0 sees dim 0, head 1 dim 1.
	y = r.Attention(x, "a", 2, nil, false)
	e := math.E / (math.E + 1)
	want = []float64{e, 0.5, 0.5, e}
	for i := range want {
		refNear(t, "2 heads", y.Data[i], want[i], 1e-12)
	}

	// A bias row belongs to the query: query 0 is kept from key 1.
	bias := &Array{Shape: []int{1, 2, 2}, Data: []float64{0, -10, 0, 0}}
	y = r.Attention(x, "a", 1, bias, true)
	p0 := math.Exp(a) / (math.Exp(a) + math.Exp(-10))
	want = []float64{p0, 1 - p0, 1 - p, p}
	for i := range want {
		refNear(t, "biased", y.Data[i], want[i], 1e-12)
	}
}

// TestAttentionManual compares one head with a step-by-step computation
// using non-trivial projections and biases.
func TestAttentionManual(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, d = 3, 2
	rnd := func(shape ...int) *Array {
		a := NewArray(shape...)
		for i := range a.Data {
			a.Data[i] = rng.NormFloat64()
		}
		return a
	}
	params := map[string]*Array{}
	for _, proj := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
		params["a/"+proj+"/weight"] = rnd(d, d)
		params["a/"+proj+"/bias"] = rnd(d)
	}
	r := refWith(Config{}, params)
	x := rnd(1, n, d)
	got := r.Attention(x, "a", 1, nil, false)

	lin := func(in [][]float64, name string) [][]float64 {
		w, b := params["a/"+name+"/weight"].Data, params["a/"+name+"/bias"].Data
		out := make([][]float64, len(in))
		for i, row := range in {
			out[i] = []float64{
				row[0]*w[0] + row[1]*w[2] + b[0],
				row[0]*w[1] + row[1]*w[3] + b[1],
			}
		}
		return out
	}
	rows := [][]float64{x.Data[0:2], x.Data[2:4], x.Data[4:6]}
	q, k, v := lin(rows, "q_proj"), lin(rows, "k_proj"), lin(rows, "v_proj")
	ctx := make([][]float64, n)
	for i := 0; i < n; i++ {
		var w [n]float64
		var sum float64
		for j := 0; j < n; j++ {
			w[j] = math.Exp((q[i][0]*k[j][0] + q[i][1]*k[j][1]) / math.Sqrt(d))
			sum += w[j]
		}
		ctx[i] = []float64{0, 0}
		for j := 0; j < n; j++ {
			ctx[i][0] += w[j] / sum * v[j][0]
			ctx[i][1] += w[j] / sum * v[j][1]
		}
	}
	want := lin(ctx, "out_proj")
	for i := 0; i < n; i++ {
		for e := 0; e < d; e++ {
			refNear(t, "attention", got.Data[i*d+e], want[i][e], 1e-12)
		}
	}
}

func TestLinearAndGELU(t *testing.T) {
	r := refWith(Config{}, map[string]*Array{
		"l/weight": {Shape: []int{2, 3}, Data: []float64{1, 2, 3, 4, 5, 6}},
		"l/bias":   {Shape: []int{3}, Data: []float64{0.5, 0, -1}},
	})
	y := r.Linear(&Array{Shape: []int{1, 1, 2}, Data: []float64{1, -1}}, "l")
	if !slices.Equal(y.Shape, []int{1, 1, 3}) {
		t.Fatalf("shape %v", y.Shape)
	}
	for i, w := range []float64{-2.5, -3, -4} {
		refNear(t, "linear", y.Data[i], w, 0)
	}
	g := r.Activate(&Array{Shape: []int{3}, Data: []float64{-1, 0, 1}}, GELU)
	// Exact-erf GELU values (PyTorch nn.GELU()).
	for i, w := range []float64{-0.15865525393145707, 0, 0.8413447460685429} {
		refNear(t, "gelu", g.Data[i], w, 1e-15)
	}
	rl := r.Activate(&Array{Shape: []int{2}, Data: []float64{-1, 2}}, ReLU)
	refNear(t, "relu", rl.Data[0], 0, 0)
	refNear(t, "relu", rl.Data[1], 2, 0)
}

func TestBilinearDiagonal(t *testing.T) {
	r := refWith(Config{}, nil)
	p := &Array{Shape: []int{1, 3, 2}, Data: []float64{1, 0, 0, 1, 1, 1}}
	c := &Array{Shape: []int{1, 3, 2}, Data: []float64{2, 3, 4, 5, 6, 7}}
	y := r.Bilinear(p, c)
	want := []float64{
		contract.DiagLogit, 4, 6,
		3, contract.DiagLogit, 7,
		5, 9, contract.DiagLogit,
	}
	for i := range want {
		refNear(t, "bilinear", y.Data[i], want[i], 0)
	}
}

func TestStructureBiasOrientation(t *testing.T) {
	r := refWith(Config{}, nil)
	// adj_logits[0][1] large: edge 0 -> 1, node 0 is a parent of node 1.
	logits := &Array{Shape: []int{1, 2, 2}, Data: []float64{contract.DiagLogit, 30, -30, contract.DiagLogit}}
	y := r.StructureBias(logits)
	refNear(t, "diagonal", y.Data[0], 0, 0)
	refNear(t, "diagonal", y.Data[3], 0, 0)
	// Query 1 attends to its parent 0 without penalty...
	refNear(t, "query 1 key 0", y.Data[2], AttentionBiasScale*(1-refSigmoid(30)), 0)
	if math.Abs(y.Data[2]) > 1e-9 {
		t.Errorf("query 1 key 0 (parent) bias %g, want ≈ 0", y.Data[2])
	}
	// ...and query 0 is kept from its child 1.
	refNear(t, "query 0 key 1", y.Data[1], AttentionBiasScale*(1-refSigmoid(-30)), 1e-12)
}

func TestHeadsByHand(t *testing.T) {
	// Model B's experts: two experts of width D=2, H=1.
	r := refWith(Config{}, map[string]*Array{
		"e/linear1/weight": {Shape: []int{2, 2, 1}, Data: []float64{1, 1, 2, -1}},
		"e/linear1/bias":   {Shape: []int{2, 1}, Data: []float64{0, 0.5}},
		"e/linear2/weight": {Shape: []int{2, 1}, Data: []float64{3, -2}},
		"e/linear2/bias":   {Shape: []int{2}, Data: []float64{1, 0}},
		"tab":              {Shape: []int{3, 2}, Data: []float64{1, 2, 3, 4, 5, 6}},
	})
	gelu := func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }
	x := &Array{Shape: []int{1, 2, 2}, Data: []float64{1, 2, 3, 1}}
	y := r.NodeExperts(x, "e")
	refNear(t, "expert 0", y.Data[0], gelu(3)*3+1, 1e-12)
	refNear(t, "expert 1", y.Data[1], gelu(6-1+0.5)*-2, 1e-12)

	mask := &Array{Shape: []int{1, 2}, Data: []float64{0, 1}}
	ms := r.MaskedSum(x, mask)
	refNear(t, "masked sum", ms.Data[0], 3, 0)
	refNear(t, "masked sum", ms.Data[1], 1, 0)
	mr := r.MaskedRows(mask, "tab")
	refNear(t, "masked rows", mr.Data[0], 3, 0)
	refNear(t, "masked rows", mr.Data[1], 4, 0)
	rd := r.RowDot(x, &Array{Shape: []int{1, 2}, Data: []float64{2, -1}})
	refNear(t, "row dot", rd.Data[0], 0, 0)
	refNear(t, "row dot", rd.Data[1], 5, 0)
}

func TestPredictShapes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, v := range Variants {
		c := refConfig(v, false)
		p, err := Init(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{3, 20, 50} {
			x := refRandomBatch(rng, 2, 10, n)
			delta, adj, err := Predict(c, p, x.base, x.intv, x.target, x.mask, x.b, x.s, x.n)
			if err != nil {
				t.Fatalf("%s N=%d: %v", v, n, err)
			}
			if len(delta) != 2*n || len(adj) != 2*n*n {
				t.Fatalf("%s N=%d: delta %d, adj %d values", v, n, len(delta), len(adj))
			}
			for i, d := range delta {
				if math.IsNaN(float64(d)) || math.IsInf(float64(d), 0) {
					t.Fatalf("%s N=%d: delta[%d] = %g", v, n, i, d)
				}
			}
			for b := 0; b < 2; b++ {
				for i := 0; i < n; i++ {
					if got := adj[(b*n+i)*n+i]; got != contract.DiagLogit {
						t.Fatalf("%s N=%d: diagonal %g, want %g", v, n, got, float64(contract.DiagLogit))
					}
				}
			}
		}
	}
}

// maxPermDiff runs x and its permutation and returns the largest
// difference between the permuted outputs of x and the outputs of the
// permuted x.
func refPermDiff(t *testing.T, r *Reference, x refBatch, perm []int) float64 {
	t.Helper()
	d1, a1, err := r.Run(x.arrays())
	if err != nil {
		t.Fatal(err)
	}
	d2, a2, err := r.Run(x.permute(perm).arrays())
	if err != nil {
		t.Fatal(err)
	}
	n := x.n
	var worst float64
	for b := 0; b < x.b; b++ {
		for i := 0; i < n; i++ {
			worst = math.Max(worst, math.Abs(d2.Data[b*n+i]-d1.Data[b*n+perm[i]]))
			for j := 0; j < n; j++ {
				worst = math.Max(worst, math.Abs(a2.Data[(b*n+i)*n+j]-a1.Data[(b*n+perm[i])*n+perm[j]]))
			}
		}
	}
	return worst
}

func TestEquivariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, v := range Variants {
		for _, equivariant := range []bool{true, false} {
			c := refConfig(v, equivariant)
			p, err := Init(c, 11)
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewReference(c, p)
			if err != nil {
				t.Fatal(err)
			}
			x := refRandomBatch(rng, 3, 12, 7)
			perm := rng.Perm(x.n)
			diff := refPermDiff(t, r, x, perm)
			if equivariant && diff > 1e-9 {
				t.Errorf("%s equivariant: permuting the columns changed the outputs by %g", v, diff)
			}
			if !equivariant && diff < 1e-6 {
				t.Errorf("%s with position embedding: permutation changed the outputs by only %g", v, diff)
			}
		}
	}
}

func TestPredictErrors(t *testing.T) {
	c := refConfig(VariantA, false)
	p, err := Init(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := refRandomBatch(rand.New(rand.NewPCG(1, 1)), 1, 4, 3)
	big := refRandomBatch(rand.New(rand.NewPCG(1, 1)), 1, 4, 51)
	one := refRandomBatch(rand.New(rand.NewPCG(1, 1)), 1, 1, 3)
	bad := refConfig(VariantA, false)
	bad.Heads = 5
	missing := Params{}
	for k, v := range p {
		missing[k] = v
	}
	delete(missing, "dag/child/bias")
	for _, tc := range []struct {
		name string
		run  func() error
		want string
	}{
		{"too many nodes", func() error {
			_, _, err := Predict(c, p, big.base, big.intv, big.target, big.mask, 1, 4, 51)
			return err
		}, "at most max_nodes=50"},
		{"one sample", func() error {
			_, _, err := Predict(c, p, one.base, one.intv, one.target, one.mask, 1, 1, 3)
			return err
		}, "at least 2"},
		{"short base", func() error {
			_, _, err := Predict(c, p, x.base[1:], x.intv, x.target, x.mask, 1, 4, 3)
			return err
		}, "base_samples has 11 values"},
		{"short mask", func() error {
			_, _, err := Predict(c, p, x.base, x.intv, x.target, x.mask[:2], 1, 4, 3)
			return err
		}, "int_mask has 2 values"},
		{"bad config", func() error {
			_, _, err := Predict(bad, p, x.base, x.intv, x.target, x.mask, 1, 4, 3)
			return err
		}, "heads 5"},
		{"missing parameter", func() error {
			_, _, err := Predict(c, missing, x.base, x.intv, x.target, x.mask, 1, 4, 3)
			return err
		}, "parameter count"},
	} {
		err := tc.run()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
	}
}
