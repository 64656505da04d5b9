package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"

	"causeway/model"
)

// Finite-difference tolerance for the float32 ops. The cost Σ R∘y is
// accumulated in float64 from float32 outputs, so each evaluation carries a
// rounding error of about ε₃₂·Σ|R∘y| ≈ 6e-8·(a few tens) ≈ 1e-6, which the
// central difference divides by 2h = 2e-2: ~5e-5 absolute on gradients of
// order 1e-2–1, plus the O(h²) truncation error (≈1e-4·|f”'|). Measured
// worst errors are 1e-4–3e-3 of the gradient scale; a wrong formula (a
// missing term, a transposition, a wrong factor) gives errors of order 1.
const fdTol = 2e-3

func mask01(name string, x []float32, rng *rand.Rand, n int) {
	clear(x)
	for b := 0; b < len(x)/n; b++ {
		x[b*n+rng.IntN(n)] = 1
	}
}

// awayFromZero draws N(0,1) values at least 0.1 from 0 (ReLU's kink).
func awayFromZero(x []float32, rng *rand.Rand) {
	for i := range x {
		v := rng.NormFloat64()
		x[i] = float32(math.Copysign(0.1+math.Abs(v), v))
	}
}

func TestOpGradients(t *testing.T) {
	const B, N, D = 2, 4, 8
	cases := []gradCase{
		{name: "linear 3-D", params: map[string][]int{"x": {B, N, 6}, "lin/weight": {6, 5}, "lin/bias": {5}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.Linear(in["x"], "lin") }},
		{name: "linear 2-D", params: map[string][]int{"x": {3, 6}, "lin/weight": {6, 5}, "lin/bias": {5}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.Linear(in["x"], "lin") }},
		{name: "gelu", train: true, params: map[string][]int{"x": {B, N, D}},
			init: func(_ string, x []float32, rng *rand.Rand) {
				for i := range x {
					x[i] = float32(rng.NormFloat64() * 3)
				}
			},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.Activate(in["x"], model.GELU)
			}},
		{name: "relu", train: true, params: map[string][]int{"x": {B, N, D}},
			init: func(_ string, x []float32, rng *rand.Rand) { awayFromZero(x, rng) },
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.Activate(in["x"], model.ReLU)
			}},
		{name: "gelu+dropout fused", train: true, params: map[string][]int{"x": {B, N, D}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.Dropout(bd.Activate(in["x"], model.GELU), 0.3)
			}},
		{name: "relu+dropout fused", train: true, params: map[string][]int{"x": {B, N, D}},
			init: func(_ string, x []float32, rng *rand.Rand) { awayFromZero(x, rng) },
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.Dropout(bd.Activate(in["x"], model.ReLU), 0.3)
			}},
		{name: "dropout", train: true, params: map[string][]int{"x": {B, N, D}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.Dropout(in["x"], 0.3) }},
		{name: "layernorm", train: true, params: map[string][]int{"x": {B, N, D}, "ln/weight": {D}, "ln/bias": {D}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.LayerNorm(in["x"], "ln") }},
		{name: "add", params: map[string][]int{"a": {B, N, D}, "b": {B, N, D}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.Add(in["a"], in["b"]) }},
		{name: "positions", params: map[string][]int{"x": {B, N, D}, "pos": {6, D}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.AddPositions(in["x"], "pos") }},
		{name: "attention", train: true, params: attnParams(B, N, D, false),
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.Attention(in["x"], "att", 2, nil, false)
			}},
		{name: "attention+bias", train: true, params: attnParams(B, N, D, true),
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.Attention(in["x"], "att", 2, in["bias"], true)
			}},
		{name: "attention+bias+dropout", train: true, dropout: 0.3, params: attnParams(B, N, D, true),
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.Attention(in["x"], "att", 2, in["bias"], true)
			}},
		{name: "bilinear", params: map[string][]int{"p": {B, N, D}, "c": {B, N, D}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.Bilinear(in["p"], in["c"]) }},
		{name: "structure bias", params: map[string][]int{"l": {B, N, N}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.StructureBias(in["l"]) }},
		{name: "squeeze", params: map[string][]int{"x": {B, N, 1}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.Squeeze(in["x"]) }},
		{name: "experts per node", train: true, params: expertParams(B, N, D, 6),
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.NodeExperts(in["x"], "ex") }},
		{name: "experts shared", train: true, params: expertParams(B, N, D, 1),
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.NodeExperts(in["x"], "ex") }},
		{name: "masked sum", params: map[string][]int{"x": {B, N, D}}, data: map[string][]int{"mask": {B, N}},
			init: maskInit(N),
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.MaskedSum(in["x"], in["mask"])
			}},
		{name: "masked rows", params: map[string][]int{"table": {6, 5}}, data: map[string][]int{"mask": {B, N}},
			init: maskInit(N),
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.MaskedRows(in["mask"], "table")
			}},
		{name: "row dot", params: map[string][]int{"x": {B, N, D}, "w": {B, D}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.RowDot(in["x"], in["w"]) }},
		{name: "huber", params: map[string][]int{"pred": {B, N}}, data: map[string][]int{"target": {B, N}},
			init: func(_ string, x []float32, rng *rand.Rand) {
				for i := range x {
					x[i] = float32(rng.NormFloat64() * 2)
				}
			},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				d, v := bd.input("huber_delta", 1)
				v.data()[0] = 1
				return bd.huber(in["pred"], in["target"], d)
			}},
		{name: "huber δ=2.5", params: map[string][]int{"pred": {B, N}}, data: map[string][]int{"target": {B, N}},
			init: func(_ string, x []float32, rng *rand.Rand) {
				for i := range x {
					x[i] = float32(rng.NormFloat64() * 3)
				}
			},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				d, v := bd.input("huber_delta", 1)
				v.data()[0] = 2.5
				return bd.huber(in["pred"], in["target"], d)
			}},
		{name: "bce", params: map[string][]int{"l": {B, N, N}}, data: map[string][]int{"adj": {B, N, N}},
			init:  adjInit,
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.bce(in["l"], in["adj"]) }},
		{name: "edge probabilities", params: map[string][]int{"l": {B, N, N}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.edgeProbs(in["l"]) }},
		{name: "acyclicity N=4", params: map[string][]int{"a": {B, N, N}}, init: probInit,
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.acyclicity(in["a"]) }},
		{name: "acyclicity N=75 (c=1.5)", params: map[string][]int{"a": {1, 75, 75}}, init: probInit,
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.acyclicity(in["a"]) }},
		{name: "l1", params: map[string][]int{"a": {B, N, N}}, init: probInit,
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.l1(in["a"]) }},
		{name: "combine", params: map[string][]int{"p0": {1}, "p1": {1}, "p2": {1}}, data: map[string][]int{"w": {3}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.combine(in["w"], in["p0"], in["p1"], in["p2"])
			}},
		{name: "loss chain", params: map[string][]int{"l": {B, N, N}}, data: map[string][]int{"adj": {B, N, N}, "w": {3}},
			init: adjInit,
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				a := bd.edgeProbs(in["l"])
				return bd.combine(in["w"], bd.bce(in["l"], in["adj"]), bd.acyclicity(a), bd.l1(a))
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tol == 0 {
				tc.tol = fdTol
			}
			w := checkGrad(t, tc)
			t.Logf("worst scaled error %.3g", w)
		})
	}
}

func attnParams(B, N, D int, bias bool) map[string][]int {
	p := map[string][]int{"x": {B, N, D}}
	for _, s := range []string{"q_proj", "k_proj", "v_proj", "out_proj"} {
		p["att/"+s+"/weight"] = []int{D, D}
		p["att/"+s+"/bias"] = []int{D}
	}
	if bias {
		p["bias"] = []int{B, N, N}
	}
	return p
}

func expertParams(B, N, D, E int) map[string][]int {
	return map[string][]int{"x": {B, N, D}, "ex/linear1/weight": {E, D, 4}, "ex/linear1/bias": {E, 4},
		"ex/linear2/weight": {E, 4}, "ex/linear2/bias": {E}}
}

func maskInit(n int) func(string, []float32, *rand.Rand) {
	return func(name string, x []float32, rng *rand.Rand) {
		if name == "mask" {
			mask01(name, x, rng, n)
			return
		}
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
	}
}

func adjInit(name string, x []float32, rng *rand.Rand) {
	for i := range x {
		switch {
		case name == "adj":
			x[i] = float32(rng.IntN(2))
		case name == "w":
			x[i] = float32(0.5 + rng.Float64())
		default:
			x[i] = float32(rng.NormFloat64() * 2)
		}
	}
}

// probInit draws values in (0, 1) like edge probabilities.
func probInit(_ string, x []float32, rng *rand.Rand) {
	for i := range x {
		x[i] = float32(0.05 + 0.9*rng.Float64())
	}
}

// TestGumbelGradient: the straight-through sample's value is the 0/1 sample
// 1[L + z > 0] (0 on the diagonal) and its gradient is that of
// y_soft = σ((L + z)/τ), checked against central differences of
// Σ R∘y_soft in float64.
func TestGumbelGradient(t *testing.T) {
	const B, N = 2, 4
	for _, tau := range []float64{0.3, 1, 2.5} {
		tc := gradCase{name: "gumbel", params: map[string][]int{"l": {B, N, N}},
			data: map[string][]int{"noise": {B, N, N}, "tau": {1}},
			init: func(name string, x []float32, rng *rand.Rand) {
				switch name {
				case "tau":
					x[0] = float32(tau)
				case "noise":
					fillLogistic(x, rng)
				default:
					for i := range x {
						x[i] = float32(rng.NormFloat64())
					}
				}
			},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.gumbelSample(in["l"], in["noise"], in["tau"])
			}}
		h := newHarness(t, tc, 5)
		h.run(t)
		l := h.params["l"].Float32s()
		var noise []float32
		for node, v := range h.bd.data {
			if node.Name() == "noise" {
				noise = v.data()
			}
		}
		y, g, r := f32(h.out.Value()), f32(h.grads["l"].Value()), h.proj.r
		t32 := float32(tau)
		soft := func(i int, li float64) float64 {
			return 1 / (1 + math.Exp(-(li+float64(noise[i]))/float64(t32)))
		}
		for i := range l {
			off := i%(N*N)/N != i%N
			want := 0.0
			if off && float64(l[i])+float64(noise[i]) > 0 {
				want = 1
			}
			if float64(y[i]) != want {
				t.Fatalf("τ=%g: sample[%d] = %g, want %g", tau, i, y[i], want)
			}
			wantG := 0.0
			if off {
				s := soft(i, float64(l[i]))
				wantG = float64(r[i]) * s * (1 - s) / float64(t32)
				const hh = 1e-6
				fd := float64(r[i]) * (soft(i, float64(l[i])+hh) - soft(i, float64(l[i])-hh)) / (2 * hh)
				if math.Abs(wantG-fd) > 1e-6*math.Max(1, math.Abs(fd)) {
					t.Fatalf("test formula: %g vs fd %g", wantG, fd)
				}
			}
			if math.Abs(float64(g[i])-wantG) > 1e-6*math.Max(1, math.Abs(wantG)) {
				t.Errorf("τ=%g: ∂/∂L[%d] = %g, want ∂y_soft/∂L = %g", tau, i, g[i], wantG)
			}
		}
	}
}
