package onnxrt

import (
	"math"
	"math/rand/v2"
	"testing"

	"causeway/export"
	"causeway/model"
)

// smallConfig is a fast architecture for tests; the equivariant one also
// turns on the mean-shift skip and the pair statistics, so parity tests
// cover those options.
func smallConfig(v model.Variant, equivariant bool) model.Config {
	c := model.DefaultConfig(v)
	c.DModel, c.FF, c.Layers, c.StructLayers = 16, 32, 2, 1
	c.HyperDim, c.HyperHidden = 4, 8
	c.Equivariant = equivariant
	c.MeanShiftSkip = equivariant
	c.PairStats = equivariant
	return c
}

// exported builds and serialises a freshly initialised model.
func exported(t testing.TB, c model.Config, seed uint64) (model.Params, []byte) {
	t.Helper()
	p, err := model.Init(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := export.Build(c, p, export.Metadata{Version: "test", Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return p, b
}

// randomInputs draws well-scaled columns with one intervened node per
// element; with guards, column 0 is constant (the std floor acts) and odd
// targets lie far out (the feature clip acts).
func randomInputs(rng *rand.Rand, b, s, n int, guards bool) Inputs {
	x := Inputs{B: b, S: s, N: n,
		Base: make([]float32, b*s*n), Int: make([]float32, b*s*n),
		Target: make([]float32, b*n), Mask: make([]float32, b*n)}
	for bi := 0; bi < b; bi++ {
		node := rng.IntN(n)
		x.Mask[bi*n+node] = 1
		for j := 0; j < n; j++ {
			scale := 0.5 + 3*rng.Float64()
			offset := 4 * rng.NormFloat64()
			for k := 0; k < s; k++ {
				v := offset + scale*rng.NormFloat64()
				if guards && j == 0 {
					v = 3
				}
				x.Base[(bi*s+k)*n+j] = float32(v)
				v = offset + 1.3*scale*rng.NormFloat64()
				if j == node {
					v = 8
				}
				x.Int[(bi*s+k)*n+j] = float32(v)
			}
			t := offset + scale*rng.NormFloat64()
			if guards && j%2 == 1 {
				t = offset + 500*scale
			}
			x.Target[bi*n+j] = float32(t)
		}
	}
	return x
}

// maxDiff returns the largest absolute difference beyond two float32 ulps of b (+Inf on a length
// mismatch or NaN).
func maxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var worst float64
	for i := range a {
		// The difference beyond two float32 ulps of the reference value:
		// tolerances are absolute, but values of magnitude ~1e3 (feature-clip
		// batches through the mean-shift skip) resolve only to 1.2e-4.
		d := math.Abs(float64(a[i])-float64(b[i])) - 0x1p-22*math.Abs(float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = max(worst, d)
	}
	return worst
}
