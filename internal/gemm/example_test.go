package gemm_test

import (
	"fmt"
	"math"
	"slices"

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

// A transformer's feed-forward block: the first layer's ReLU leaves many
// zeros (here about half), which the second layer's product skips, with
// the bits of MulPackedBias.
func ExampleMulPackedBiasSparse() {
	const rows, d, ff = 32, 128, 512
	fill := func(n int, scale float32) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = scale * float32(math.Sin(float64(i)*0.7))
		}
		return s
	}
	x, w1, w2 := fill(rows*d, 1), fill(d*ff, 0.1), fill(ff*d, 0.05)
	b1, b2 := fill(ff, 0.01), fill(d, 0.01)
	h := make([]float32, rows*ff)
	gemm.MulPackedBias(rows, ff, d, x, d, gemm.Pack(w1, d, ff), b1, true, h, ff)
	zeros := 0
	for _, v := range h {
		if v == 0 {
			zeros++
		}
	}
	p2 := gemm.Pack(w2, ff, d)
	dense, sparse := make([]float32, rows*d), make([]float32, rows*d)
	gemm.MulPackedBias(rows, d, ff, h, ff, p2, b2, false, dense, d)
	gemm.MulPackedBiasSparse(rows, d, ff, h, ff, p2, b2, false, sparse, d)
	fmt.Printf("%.0f%% of h is zero; same result: %v\n", 100*float64(zeros)/float64(len(h)), slices.Equal(dense, sparse))
	// Output: 50% of h is zero; same result: true
}
