package gemm_test

import (
	"fmt"

	"causeway/internal/gemm"
)

// A Linear layer with ReLU: weights packed once, then c = max(0, a·w + b)
// for a batch of rows, the bias and ReLU applied by the kernels.
func ExampleMulPackedBias() {
	w := []float32{ // 3×2
		1, -1,
		2, 0,
		0, 1,
	}
	packed := gemm.Pack(w, 3, 2)
	a := []float32{ // 2×3
		1, 1, 1,
		0, 1, -4,
	}
	bias := []float32{0.5, -1}
	c := make([]float32, 2*2)
	gemm.MulPackedBias(2, 2, 3, a, 3, packed, bias, true, c, 2)
	fmt.Println(c)
	// Output: [3.5 0 2.5 0]
}
