package onnxrt

import (
	"math"
	"math/rand/v2"
	"testing"

	"causeway/contract"
	"causeway/export"
	"causeway/model"
	"causeway/model/modeltest"
)

// smallConfig is modeltest.SmallConfig: the equivariant one also turns on
// the mean-shift skip and the pair statistics.
func smallConfig(v model.Variant, equivariant bool) model.Config {
	return modeltest.SmallConfig(v, equivariant)
}

// exported builds and serialises a freshly initialised model.
func exported(t testing.TB, c model.Config, seed uint64) (model.Params, []byte) {
	t.Helper()
	p, err := modeltest.InitAll(c, seed)
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

// loadWith loads data with one of the load-time switches (packLinear,
// sparseLinear) set to on for this load, and then back to true.
func loadWith(tb testing.TB, data []byte, flag *bool, on bool) *Model {
	tb.Helper()
	*flag = on
	defer func() { *flag = true }()
	m, err := LoadBytes("test", data)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// randomInputs is modeltest.RandomBatch.
func randomInputs(rng *rand.Rand, b, s, n int, guards bool) contract.Pairs {
	return modeltest.RandomBatch(rng, b, s, n, guards)
}

// maxDiff returns the largest absolute difference beyond two float32 ulps of b (+Inf on a length
// mismatch or NaN).
func maxDiff(a, b []float32) float64 { return maxDiffRel(a, b, 0x1p-22) }

// maxDiffRel is maxDiff with a relative allowance rtol·|b| in place of two
// ulps (the shipped trained model's test: see its comment).
func maxDiffRel(a, b []float32, rtol float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var worst float64
	for i := range a {
		// The difference beyond two float32 ulps of the reference value:
		// tolerances are absolute, but values of magnitude ~1e3 (feature-clip
		// batches through the mean-shift skip) resolve only to 1.2e-4.
		d := math.Abs(float64(a[i])-float64(b[i])) - rtol*math.Abs(float64(b[i]))
		if math.IsNaN(d) {
			return math.Inf(1)
		}
		worst = max(worst, d)
	}
	return worst
}
