package onnxrt_test

import (
	"fmt"
	"log"

	"causeway/contract"

	"causeway/export"
	"causeway/model"
	"causeway/onnxrt"
)

// Example exports a freshly initialised Model A, loads it with the
// executor and predicts one batch of 3 variables.
func Example() {
	c := model.DefaultConfig(model.VariantA)
	c.DModel, c.FF, c.Layers = 16, 32, 1
	p, err := model.Init(c, 1)
	if err != nil {
		log.Fatal(err)
	}
	mp, err := export.Build(c, p, export.Metadata{Version: "example"})
	if err != nil {
		log.Fatal(err)
	}
	b, err := export.Marshal(mp)
	if err != nil {
		log.Fatal(err)
	}
	m, err := onnxrt.LoadBytes("", b)
	if err != nil {
		log.Fatal(err)
	}
	const s, n = 4, 3
	in := contract.Pairs{B: 1, S: s, N: n,
		Base:   []float32{0, 1, 2, 1, 2, 3, 0, 2, 1, 1, 1, 1},
		Int:    []float32{5, 6, 7, 5, 8, 6, 5, 7, 9, 5, 6, 8},
		Target: []float32{0.5, 1.5, 1.5},
		Mask:   []float32{1, 0, 0}, // x0 was set to 5
	}
	out, err := m.Run(in)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name(), len(out.Delta), len(out.AdjLogits), out.AdjLogits[0] == contract.DiagLogit)
	// Output: model-a 3 9 true
}

// ExampleModel_Run_errors shows Run's validation.
func ExampleModel_Run_errors() {
	c := model.DefaultConfig(model.VariantD)
	c.DModel, c.FF, c.Layers, c.MaxNodes = 8, 16, 1, 4
	p, _ := model.Init(c, 1)
	mp, _ := export.Build(c, p, export.Metadata{})
	b, _ := export.Marshal(mp)
	m, _ := onnxrt.LoadBytes("demo", b)
	_, err := m.Run(contract.Pairs{B: 1, S: 2, N: 5,
		Base: make([]float32, 10), Int: make([]float32, 10), Target: make([]float32, 5), Mask: make([]float32, 5)})
	fmt.Println(err)
	// Output: onnxrt: demo: 5 nodes: the model supports at most max_nodes=4
}
