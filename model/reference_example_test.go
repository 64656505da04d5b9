package model_test

import (
	"fmt"

	"causeway/contract"

	"causeway/model"
)

// ExamplePredict runs a freshly initialised Model A on one batch of two
// samples over three nodes with the reference backend.
func ExamplePredict() {
	c := model.DefaultConfig(model.VariantA)
	c.DModel, c.FF, c.Layers = 16, 32, 1
	p, err := model.Init(c, 1)
	if err != nil {
		panic(err)
	}
	base := []float32{0, 1, 2, 1, 2, 4} // [B=1, S=2, N=3]
	intv := []float32{5, 1, 3, 5, 3, 6} // node 0 held at 5
	target := []float32{0.5, 1.5, 3}    // [B, N]
	mask := []float32{1, 0, 0}          // intervention on node 0
	delta, adj, err := model.Predict(c, p, base, intv, target, mask, 1, 2, 3)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(delta), len(adj), adj[0] == contract.DiagLogit)
	// Output: 3 9 true
}
