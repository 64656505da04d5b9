package onnxrt

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"causeway/internal/gemm"
	"causeway/model"
)

// BenchmarkLinearGemm compares, on the shapes of a default-size model's
// linear layers at N=20 (20 rows: B=1; 640 rows: B=32), gemm.Mul, which
// packs the weight matrix on every call (as BLAS does), with
// gemm.MulPacked over weights packed once at load.
func BenchmarkLinearGemm(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, s := range []struct{ m, n, k int }{{20, 128, 128}, {20, 384, 128}, {20, 2048, 128}, {20, 128, 2048}, {640, 2048, 128}, {640, 128, 2048}} {
		a := make([]float32, s.m*s.k)
		w := make([]float32, s.k*s.n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		c := make([]float32, s.m*s.n)
		name := fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k)
		b.Run(name+"/mul", func(b *testing.B) {
			for b.Loop() {
				gemmMul(false, false, s.m, s.n, s.k, 1, a, s.k, w, s.n, 0, c, s.n)
			}
		})
		packed := gemm.Pack(w, s.k, s.n)
		b.Run(name+"/packed", func(b *testing.B) {
			for b.Loop() {
				gemm.MulPacked(s.m, s.n, s.k, a, s.k, packed, c, s.n)
			}
		})
	}
}

// BenchmarkRunPackedVsBLAS runs a default-size Model A (N=20, S=100, B=1
// and B=8) with its Linear layers through gemmMul (weights packed per
// call; OpenBLAS when that path is chosen) and on weights packed once, in
// alternation, so the two see the same machine.
func BenchmarkRunPackedVsBLAS(b *testing.B) {
	c := model.DefaultConfig(model.VariantA)
	_, data := exported(b, c, 1)
	blas, packed := loadWith(b, data, &packLinear, false), loadWith(b, data, &packLinear, true)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, batch := range []int{1, 8} {
		in := randomInputs(rng, batch, 100, 20, false)
		for round := range 2 {
			for _, tc := range []struct {
				name string
				m    *Model
			}{{"blas", blas}, {"packed", packed}} {
				b.Run(fmt.Sprintf("B=%d/%s/round%d", batch, tc.name, round), func(b *testing.B) {
					for b.Loop() {
						if _, err := tc.m.Run(in); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}
