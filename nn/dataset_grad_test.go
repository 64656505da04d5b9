package nn

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gorgonia.org/gorgonia"
)

// TestDataSetOpGradients checks Model F's ops against central finite
// differences: the pair swap, the triangle product, the edge logits, the query rows, the effect's
// affine map (one and two outputs) and the weighted MSE.
func TestDataSetOpGradients(t *testing.T) {
	const B, N, K, Q = 2, 4, 3, 3
	effect := func(w int) gradCase {
		return gradCase{name: fmt.Sprintf("effect with %d outputs", w), params: map[string][]int{"pred": {B * Q, N, w}},
			data: map[string][]int{"scale": {B, Q, N, w}, "fixed": {B, Q, N}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				bd.scale, bd.fixed = in["scale"], in["fixed"]
				return bd.Effect(in["pred"], nil, nil, nil, nil)
			}}
	}
	cases := []gradCase{
		{name: "swap pairs", params: map[string][]int{"x": {B * N, N, K}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.SwapPairs(in["x"]) }},
		{name: "pair product", params: map[string][]int{"a": {B * N, N, K}, "x": {B * N, N, K}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.PairProduct(in["a"], in["x"])
			}},
		{name: "pair product of one tensor with itself", params: map[string][]int{"x": {B * N, N, K}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.PairProduct(in["x"], in["x"])
			}},
		{name: "edge logits", params: map[string][]int{"x": {B * N, N, 1}},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node { return bd.EdgeLogits(in["x"]) }},
		{name: "query rows", params: map[string][]int{"x": {B * N, N, K}}, data: map[string][]int{"qmask": {B, Q, N}},
			init: func(name string, x []float32, rng *rand.Rand) {
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				if name == "qmask" {
					clear(x)
					for q := range B * Q {
						x[q*N+rng.IntN(N)] = 1
					}
				}
			},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				return bd.QueryRows(in["x"], in["qmask"])
			}},
		effect(1), effect(2),
		{name: "weighted mse", params: map[string][]int{"pred": {B, Q, N}}, data: map[string][]int{"target": {B, Q, N}, "w": {B, Q, N}},
			init: func(name string, x []float32, rng *rand.Rand) {
				for i := range x {
					x[i] = float32(rng.NormFloat64() * 2)
					if name == "w" {
						x[i] = float32(rng.IntN(2)) * float32(0.5+rng.Float64())
					}
				}
			},
			build: func(bd *builder, in map[string]*gorgonia.Node) *gorgonia.Node {
				op := &weightedMSEOp{opBase: bd.c.base("effectMSE", []int{3, 3, 3}, []bool{true, false, false}, 1), c: bd.c}
				return bd.out(op, in["pred"], in["target"], in["w"])
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tol == 0 {
				tc.tol = fdTol
			}
			t.Logf("worst scaled error %.3g", checkGrad(t, tc))
		})
	}
}
