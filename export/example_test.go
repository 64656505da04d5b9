package export_test

import (
	"fmt"
	"strings"

	"causeway/export"
	"causeway/model"
	"causeway/onnxfile"
)

// ExampleBuild exports a freshly initialised Model D and inspects the graph.
func ExampleBuild() {
	c := model.DefaultConfig(model.VariantD)
	c.DModel, c.FF = 32, 64
	p, err := model.Init(c, 1)
	if err != nil {
		panic(err)
	}
	m, err := export.Build(c, p, export.Metadata{Name: "model-d", Steps: 3000, Seed: 1, Version: "0.1.0"})
	if err != nil {
		panic(err)
	}
	g := m.GetGraph()
	fmt.Println(g.GetInput()[0].GetName(), g.GetOutput()[0].GetName(), g.GetOutput()[1].GetName())
	fmt.Println(onnxfile.Props(m)[onnxfile.PropVariant], onnxfile.Props(m)[onnxfile.PropTrainingSteps])

	// Write it with export.WriteFile(path, m), or with a Triton repository:
	// export.Write(m, export.Target{Path: "models/model-d.onnx", TritonRepo: "triton", Name: "model-d"})

	// Output:
	// base_samples delta adj_logits
	// D 3000
}

// ExampleTritonConfig prints the head of a Triton model configuration.
func ExampleTritonConfig() {
	lines := strings.Split(export.TritonConfig("model-a", false), "\n")
	fmt.Println(strings.Join(lines[1:6], "\n"))
	// Output:
	// # max_batch_size 0: B is an explicit dynamic dimension of every tensor (-1).
	// name: "model-a"
	// platform: "onnxruntime_onnx"
	// max_batch_size: 0
	// input [
}
