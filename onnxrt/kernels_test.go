package onnxrt

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"causeway/internal/gemm"
	"causeway/internal/simd"
)

func ft(shape []int, v ...float32) tensor { return tensor{dtype: dtFloat, shape: shape, f: v} }
func it(shape []int, v ...int64) tensor   { return tensor{dtype: dtInt64, shape: shape, i: v} }

// runKernel runs k on inputs (nil: an absent optional input) and returns
// the output.
func runKernel(t *testing.T, k kernel, in ...*tensor) tensor {
	t.Helper()
	s := &state{vals: make([]tensor, len(in)+1)}
	n := &node{out: []int{len(in)}}
	for i, x := range in {
		if x == nil {
			n.in = append(n.in, -1)
			continue
		}
		s.vals[i] = *x
		n.in = append(n.in, i)
	}
	if err := k.run(s, n); err != nil {
		t.Fatalf("%T: %v", k, err)
	}
	return s.vals[len(in)]
}

func same(got tensor, want tensor) bool {
	return fmt.Sprint(got.shape, got.f, got.i) == fmt.Sprint(want.shape, want.f, want.i)
}

// TestGenericKernels covers cases of the generic kernels the exporter's
// graphs do not reach (negative slice steps, default perms, middle-axis
// reductions, general broadcasting, 1-D MatMul operands).
func TestGenericKernels(t *testing.T) {
	x := ft([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	for _, tc := range []struct {
		name string
		k    kernel
		in   []*tensor
		want tensor
	}{
		{"slice reverse", sliceKernel{}, []*tensor{&x, ptrT(it([]int{1}, -1)), ptrT(it([]int{1}, -100)), ptrT(it([]int{1}, 1)), ptrT(it([]int{1}, -1))}, ft([]int{2, 3}, 3, 2, 1, 6, 5, 4)},
		{"slice step 2", sliceKernel{}, []*tensor{&x, ptrT(it([]int{1}, 0)), ptrT(it([]int{1}, 3)), ptrT(it([]int{1}, 1)), ptrT(it([]int{1}, 2))}, ft([]int{2, 2}, 1, 3, 4, 6)},
		{"slice empty", sliceKernel{}, []*tensor{&x, ptrT(it([]int{1}, 2)), ptrT(it([]int{1}, 1)), nil, nil}, ft([]int{0, 3})},
		{"transpose default", transposeKernel{}, []*tensor{&x}, ft([]int{3, 2}, 1, 4, 2, 5, 3, 6)},
		{"reduce axis 0", reduceMeanKernel{axes: []int64{0}, keepdims: false}, []*tensor{&x}, ft([]int{3}, 2.5, 3.5, 4.5)},
		{"reduce all", reduceMeanKernel{keepdims: true}, []*tensor{&x}, ft([]int{1, 1}, 3.5)},
		{"broadcast column", binaryKernel{opSub}, []*tensor{&x, ptrT(ft([]int{2, 1}, 1, 4))}, ft([]int{2, 3}, 0, 1, 2, 0, 1, 2)},
		{"broadcast outer", binaryKernel{opMul}, []*tensor{ptrT(ft([]int{2, 1}, 1, 2)), ptrT(ft([]int{3}, 1, 10, 100))}, ft([]int{2, 3}, 1, 10, 100, 2, 20, 200)},
		{"scalar left", binaryKernel{opDiv}, []*tensor{ptrT(ft(nil, 6)), &x}, ft([]int{2, 3}, 6, 3, 2, 1.5, 1.2, 1)},
		{"matmul vector", matMulKernel{}, []*tensor{ptrT(ft([]int{2}, 1, 1)), &x}, ft([]int{3}, 5, 7, 9)},
		{"matmul matrix vector", matMulKernel{}, []*tensor{&x, ptrT(ft([]int{3}, 1, 0, 1))}, ft([]int{2}, 4, 10)},
		{"matmul broadcast batch", matMulKernel{}, []*tensor{ptrT(ft([]int{2, 1, 1, 2}, 1, 0, 0, 1)), ptrT(ft([]int{3, 2, 1}, 1, 2, 3, 4, 5, 6))},
			ft([]int{2, 3, 1, 1}, 1, 3, 5, 2, 4, 6)},
		{"concat int64", concatKernel{0}, []*tensor{ptrT(it([]int{1}, 7)), ptrT(it([]int{2}, 8, 9))}, it([]int{3}, 7, 8, 9)},
		{"reshape infer", reshapeKernel{}, []*tensor{&x, ptrT(it([]int{2}, -1, 2))}, ft([]int{3, 2}, 1, 2, 3, 4, 5, 6)},
		{"softmax axis 0", softmaxKernel{0}, []*tensor{ptrT(ft([]int{2, 1}, 0, 0))}, ft([]int{2, 1}, 0.5, 0.5)},
		{"clip min only", clipKernel{}, []*tensor{&x, ptrT(ft(nil, 3)), nil}, ft([]int{2, 3}, 3, 3, 3, 4, 5, 6)},
		{"cast", castKernel{dtInt64}, []*tensor{ptrT(ft([]int{2}, 1.9, -1.9))}, it([]int{2}, 1, -1)},
		{"squeeze all", squeezeKernel{}, []*tensor{ptrT(ft([]int{1, 2, 1}, 1, 2))}, ft([]int{2}, 1, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := runKernel(t, tc.k, tc.in...); !same(got, tc.want) {
				t.Errorf("got %v %v %v, want %v %v %v", got.shape, got.f, got.i, tc.want.shape, tc.want.f, tc.want.i)
			}
		})
	}
}

func ptrT(t tensor) *tensor { return &t }

// TestReLUOneRule holds every ReLU of the executor to one rule, VMAXPS's
// max(0, v): negative values (−Inf included) become +0, NaN of either
// sign and −0 stay. simd.ReLU32 (the scalar columns), simd.ReLU (the vector
// ones) and a Linear with ReLU, packed (the kernels apply it) or not (the
// epilogue), must give the same bits for every column, the last ones past
// a multiple of 8 included.
func TestReLUOneRule(t *testing.T) {
	negNaN := math.Float32frombits(0xffc00000) // x86's default NaN, as ∞ − ∞ gives
	posNaN := math.Float32frombits(0x7fc00001)
	values := []float32{1, -1, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		negNaN, posNaN, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32}
	rule := func(v float32) float32 {
		if v < 0 {
			return 0
		}
		return v
	}
	vec := make([]float32, 16)
	for _, v := range values {
		if got, want := simd.ReLU32(v), rule(v); math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("ReLU32(%08x) = %08x, want %08x", math.Float32bits(v), math.Float32bits(got), math.Float32bits(want))
		}
		for i := range vec {
			vec[i] = v
		}
		out := make([]float32, len(vec))
		for i := simd.ReLU(out, vec); i < len(out); i++ {
			out[i] = simd.ReLU32(vec[i])
		}
		for i, got := range out {
			if want := rule(v); math.Float32bits(got) != math.Float32bits(want) {
				t.Errorf("ReLU column %d of %08x = %08x, want %08x", i, math.Float32bits(v), math.Float32bits(got), math.Float32bits(want))
			}
		}
	}
	// A Linear with 9 outputs: x·W gives ∞ − ∞ (a negative NaN), −∞, a
	// negative and a positive value in every column, the last one (past 8)
	// included.
	const k, nout = 2, 9
	w := make([]float32, k*nout)
	for j := range nout {
		w[j], w[nout+j] = 1, -1
	}
	inf := float32(math.Inf(1))
	x := ft([]int{4, k}, inf, inf, -inf, 0, -3, 1, 2, 1)
	bias := make([]float32, nout)
	var outs [2]tensor
	for i, packed := range []bool{false, true} {
		l := &linearKernel{w: slices.Clone(w), k: k, nout: nout, b: bias, act: opRelu}
		l.epi = l.epilogue()
		if packed {
			l.packed, l.w = gemm.Pack(l.w, k, nout), nil
		}
		outs[i] = runKernel(t, l, &x)
	}
	for i := range outs[0].f {
		got, want := outs[1].f[i], outs[0].f[i]
		if math.Float32bits(got) != math.Float32bits(want) || math.Float32bits(want) != math.Float32bits(rule(want)) {
			t.Errorf("Linear+ReLU [%d][%d]: packed %08x, unpacked %08x", i/nout, i%nout, math.Float32bits(got), math.Float32bits(want))
		}
	}
	if got := math.Float32bits(outs[1].f[nout-1]); got != 0xffc00000 {
		t.Errorf("∞ − ∞ then ReLU in the last column = %08x, want the NaN 0xffc00000", got)
	}
}
