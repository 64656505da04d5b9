package onnxrt

import (
	"fmt"
	"testing"
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
