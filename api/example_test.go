package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"strings"

	"causeway/api"
	"causeway/model"
	"causeway/onnxrt"
	"causeway/onnxrt/onnxrttest"
)

// loadModel returns a small freshly initialised Model A (a stand-in for a
// trained models/model-a.onnx).
func loadModel() *onnxrt.Model {
	m, err := onnxrttest.Small(model.VariantA)
	if err != nil {
		log.Fatal(err)
	}
	return m
}

// Example decodes a /predict request, runs it and prints the shape of the
// response.
func Example() {
	m := loadModel()
	req, _, err := api.Decode(strings.NewReader(`{
	  "base_samples": [[0.1, 1.2, -0.3], [0.4, 0.9, 0.1], [-0.2, 1.1, 0.0]],
	  "int_samples":  [[5.0, 6.1, 2.2], [5.0, 5.8, 2.0], [5.0, 6.3, 2.5]],
	  "intervened_node": "rain",
	  "variables": ["rain", "sprinkler", "wet"]
	}`))
	if err != nil {
		log.Fatal(err)
	}
	resp, err := api.Predict(context.Background(), m, req)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Model, resp.Variables, len(resp.Delta), len(resp.Adjacency), resp.Adjacency[1][1], resp.Threshold)
	// Output: model-a [rain sprinkler wet] 3 3 0 0.5
}

// ExampleRequest_Validate shows a validation error: it names the field.
func ExampleRequest_Validate() {
	r := &api.Request{
		BaseSamples:    [][]float64{{1, 2}, {3}},
		IntSamples:     [][]float64{{5, 2}, {5, 4}},
		IntervenedNode: &api.Node{Index: 0},
	}
	err := r.Validate(50)
	fmt.Println(err)
	var e *api.Error
	if errors.As(err, &e) {
		fmt.Println(e.Field)
	}
	// Output:
	// base_samples[1]: has 1 values, row 0 of base_samples has 2 (rows must all have N values)
	// base_samples[1]
}

// ExamplePredictBatch answers the batch form.
func ExamplePredictBatch() {
	m := loadModel()
	var b api.BatchRequest
	err := json.Unmarshal([]byte(`{"instances": [
	  {"base_samples": [[0, 1], [1, 0]], "int_samples": [[5, 1], [5, 2]], "intervened_node": 0},
	  {"base_samples": [[0, 1], [1, 0]], "int_samples": [[0, 5], [1, 5]], "int_mask": [0, 1]}
	]}`), &b)
	if err != nil {
		log.Fatal(err)
	}
	resp, err := api.PredictBatch(context.Background(), m, &b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(resp.Predictions), resp.Predictions[1].Variables)
	// Output: 2 [x0 x1]
}
