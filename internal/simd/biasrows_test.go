package simd

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestBiasRows compares the block kernel with its scalar definition, bit
// for bit, for row lengths with and without a tail,
// strides wider than the rows, NaN and ±Inf, with and without ReLU;
// values past each row's columns must stay untouched.
func TestBiasRows(t *testing.T) {
	if !Enabled() {
		t.Skip("no vector kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(11, 12))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	for _, tc := range []struct{ rows, width, ldc int }{{1, 8, 8}, {3, 16, 20}, {5, 20, 20}, {7, 256, 300}, {2, 7, 9}, {480, 64, 128}} {
		for _, relu := range []bool{false, true} {
			t.Run(fmt.Sprintf("%dx%d/ldc%d/relu=%v", tc.rows, tc.width, tc.ldc, relu), func(t *testing.T) {
				c := make([]float32, (tc.rows-1)*tc.ldc+tc.width)
				for i := range c {
					c[i] = float32(rng.NormFloat64())
					if rng.IntN(10) == 0 {
						c[i] = special[rng.IntN(len(special))]
					}
				}
				bias := make([]float32, tc.width)
				for i := range bias {
					bias[i] = float32(rng.NormFloat64())
				}
				want := append([]float32(nil), c...)
				done := BiasRows(c, tc.ldc, tc.rows, bias, relu)
				if done != tc.width&^7 {
					t.Fatalf("did %d columns, want %d", done, tc.width&^7)
				}
				// The reference: a float32 add, then for ReLU max(0, v) as
				// VMAXPS computes it (v itself when v is NaN or a zero).
				for r := range tc.rows {
					row := want[r*tc.ldc : r*tc.ldc+done]
					for j := range row {
						row[j] += bias[j]
						if relu && row[j] < 0 {
							row[j] = 0
						}
					}
				}
				for i := range c {
					if !sameBits(c[i], want[i]) {
						t.Fatalf("c[%d] = %v, want %v", i, c[i], want[i])
					}
				}
			})
		}
	}
}
