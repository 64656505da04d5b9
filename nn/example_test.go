package nn_test

import (
	"fmt"
	"math/rand/v2"

	"causeway/contract"
	"causeway/model"
	"causeway/nn"
)

// A training step and a prediction on a tiny Model A.
func ExampleNet() {
	cfg := model.DefaultConfig(model.VariantA)
	cfg.DModel, cfg.FF, cfg.Layers = 16, 32, 1
	params, err := model.Init(cfg, 1)
	if err != nil {
		panic(err)
	}
	net, err := nn.NewNet(cfg, params)
	if err != nil {
		panic(err)
	}
	const B, S, N = 2, 10, 4
	r := rand.New(rand.NewPCG(1, 1))
	fill := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
		return x
	}
	b := &nn.Batch{Pairs: contract.Pairs{B: B, S: S, N: N, Base: fill(B * S * N), Int: fill(B * S * N), Target: fill(B * N),
		Mask: []float32{1, 0, 0, 0, 0, 0, 1, 0}}, Delta: fill(B * N), Adj: make([]float32, B*N*N)}

	loss, err := net.Step(b, nn.DefaultLossWeights(), 1, rand.New(rand.NewPCG(2, 2)))
	if err != nil {
		panic(err)
	}
	// An optimiser now updates net.Params() in place from net.Grads().
	g := net.Grads()["encoder/feature_proj/weight"]
	fmt.Println(loss.Total > 0, len(g) == 6*16)

	delta, adjLogits, err := net.Predict(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(delta), len(adjLogits))
	// Output:
	// true true
	// 8 32
}
