// Package modeltest holds test fixtures shared by the packages that render
// or run causeway models (export, onnxrt): a small architecture and random
// input batches in the tensor contract's layout. It is imported by tests
// only.
package modeltest

import (
	"math/rand/v2"

	"causeway/contract"
	"causeway/model"
)

// SmallConfig is a fast architecture of variant v. With options it is
// equivariant and also turns on the mean-shift skip and the pair
// statistics, so parity tests cover every option.
func SmallConfig(v model.Variant, options bool) model.Config {
	c := model.DefaultConfig(v)
	c.DModel, c.FF, c.Layers, c.StructLayers = 16, 32, 2, 1
	c.HyperDim, c.HyperHidden = 4, 8
	c.Equivariant = options
	c.MeanShiftSkip = options
	c.PairStats = options
	return c
}

// RandomBatch draws well-scaled columns with one intervened node (set to 8)
// per element. With guards, column 0 of the base samples is constant (so
// the std floor acts) and odd targets lie far out (so the feature clip
// acts).
func RandomBatch(rng *rand.Rand, b, s, n int, guards bool) contract.Pairs {
	x := contract.Pairs{B: b, S: s, N: n,
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

// InitAll is model.Init with every tensor that a fresh model sets to zero
// (a zero-initialised output layer, such as Model F's effect head and
// triangle updates) filled with normal draws of SD 0.2 instead, so that
// parity tests exercise the layers behind it.
func InitAll(c model.Config, seed uint64) (model.Params, error) {
	p, err := model.Init(c, seed)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for _, s := range model.Specs(c) {
		t := p[s.Name]
		zero := true
		for _, v := range t.Data {
			zero = zero && v == 0
		}
		if zero && s.Init == model.InitZeros {
			for i := range t.Data {
				t.Data[i] = float32(0.2 * rng.NormFloat64())
			}
		}
	}
	return p, nil
}
