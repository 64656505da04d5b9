package simd

import (
	"math"
	"math/rand/v2"
	"testing"
)

// layerNormLanes is LayerNorm's order of operations in scalar Go: eight
// float64 lanes (element 8g+l in lane l), the lanes added as the kernel's
// horizontal sum does, and the float32 output without fused multiply-adds.
func layerNormLanes(dst, src, w, b []float32, eps float64) {
	d := len(src)
	hsum := func(acc *[8]float64) float64 {
		var t [4]float64
		for l := range 4 {
			t[l] = acc[l] + acc[l+4]
		}
		return (t[0] + t[2]) + (t[1] + t[3])
	}
	var acc [8]float64
	for i, v := range src {
		acc[i%8] += float64(v)
	}
	mean := float32(hsum(&acc) / float64(d))
	acc = [8]float64{}
	for i, v := range src {
		e := float64(v - mean)
		acc[i%8] += e * e
	}
	sd := float32(math.Sqrt(float64(float32(hsum(&acc)/float64(d))) + eps))
	inv := 1 / sd
	for i, v := range src {
		dst[i] = float32((v-mean)*inv*w[i]) + b[i] // no fused multiply-add
	}
}

// TestLayerNorm checks the vector row against its scalar order of
// operations bit for bit, and against float64 LayerNorm to 1e-5 (float32
// rounding of values of order 1, with rows of large mean included), for
// the row lengths the models use and others.
func TestLayerNorm(t *testing.T) {
	if !Enabled() {
		t.Skip("no vector kernels on this CPU")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, d := range []int{8, 16, 64, 128, 136, 2048} {
		for trial := range 20 {
			src, w, b := make([]float32, d), make([]float32, d), make([]float32, d)
			offset := 0.0
			if trial%4 == 3 {
				offset = 1000 // a large mean: the two-pass variance keeps it exact
			}
			for i := range src {
				src[i] = float32(offset + rng.NormFloat64()*math.Pow(10, float64(rng.IntN(3)-1)))
				w[i], b[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			}
			got, want := make([]float32, d), make([]float32, d)
			if !LayerNorm(got, src, w, b, 1e-5) {
				t.Fatalf("d=%d: LayerNorm declined", d)
			}
			layerNormLanes(want, src, w, b, 1e-5)
			var mean, vr float64
			for _, v := range src {
				mean += float64(v)
			}
			mean /= float64(d)
			for _, v := range src {
				vr += (float64(v) - mean) * (float64(v) - mean)
			}
			inv := 1 / math.Sqrt(vr/float64(d)+1e-5)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("d=%d trial %d: dst[%d] = %v, scalar order %v", d, trial, i, got[i], want[i])
				}
				exact := (float64(src[i])-mean)*inv*float64(w[i]) + float64(b[i])
				// With a mean of 1000, rounding the mean to float32 moves it
				// by up to 3e-5 against a spread of order 1: 100× the bound.
				if tol := 1e-5 * math.Max(1, math.Abs(exact)) * math.Max(1, offset/10); math.Abs(float64(got[i])-exact) > tol {
					t.Fatalf("d=%d trial %d: dst[%d] = %v, float64 %v", d, trial, i, got[i], exact)
				}
			}
		}
	}
	for _, d := range []int{0, 7, 20, 129} {
		x := make([]float32, d)
		if LayerNorm(x, x, x, x, 1e-5) {
			t.Fatalf("d=%d: LayerNorm did a row whose length is not a positive multiple of 8", d)
		}
	}
}
