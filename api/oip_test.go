package api

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"causeway/model"
	"causeway/onnxrt"
)

var (
	inferModelOnce sync.Once
	inferModelA    *onnxrt.Model
)

// inferModel is a small model A (max_nodes 8) shared by the infer tests (a
// Model is safe for concurrent use).
func inferModel(t testing.TB) *onnxrt.Model {
	t.Helper()
	inferModelOnce.Do(func() { inferModelA = testModel(t, model.VariantA, 8) })
	if inferModelA == nil {
		t.Fatal("the infer test model failed to load")
	}
	return inferModelA
}

// validInfer is a valid OIP infer request with B elements.
func validInfer(seed uint64, b, s, n int) *InferRequest {
	rng := rand.New(rand.NewPCG(seed, 99))
	vals := func(k int) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	mask := make([]float64, b*n)
	for e := 0; e < b; e++ {
		mask[e*n+e%n] = 1
	}
	return &InferRequest{ID: "req-1", Inputs: []InferInput{
		{Name: "base_samples", Datatype: "FP32", Shape: []int{b, s, n}, Data: vals(b * s * n)},
		{Name: "int_samples", Datatype: "FP32", Shape: []int{b, s, n}, Data: vals(b * s * n)},
		{Name: "target_row", Datatype: "FP32", Shape: []int{b, n}, Data: vals(b * n)},
		{Name: "int_mask", Datatype: "FP32", Shape: []int{b, n}, Data: mask},
	}}
}

func inferSeeds(t testing.TB) [][]byte {
	valid := []byte(mustJSON(validInfer(1, 2, 3, 2)))
	return [][]byte{
		valid,
		[]byte(`{"inputs": [{"name": "base_samples", "shape": [1, 2, 2], "datatype": "FP32", "data": [[[1, 2], [3, 4]]], "parameters": {"a": [1, true, null, "x"]}}], "outputs": [{"name": "delta", "parameters": {}}], "parameters": {"k": {"n": -1.5e3}}}`),
		[]byte(`{"id": 7, "inputs": []}`),
		[]byte(`{"id": "a\nb", "inputs": null}`),
		[]byte(`{"Inputs": [{"Name": "base_samples", "data": [1]}]}`),
		[]byte(`{"inputs": [{"name": "x", "shape": [1e2], "data": [1]}]}`),
		[]byte(`{"inputs": [{"name": "x", "shape": [-1], "data": [1, [2, [3]], []]}]}`),
		[]byte(`{"inputs": [{"name": "target_row", "shape": [2, 2], "datatype": "FP32", "data": [[1, 2], [3, 4]]}]}`),
		[]byte(`{"inputs": [{"data": [[1, 2, 3], [4]], "name": "target_row", "shape": [2, 2], "datatype": "FP32"}]}`),
		[]byte(`{"inputs": [{"name": "target_row", "shape": [2, 2], "datatype": "FP32", "data": [[[1], [2]], [[3], [4]]]}]}`),
		[]byte(`{"inputs": [{"data": [1, "2"]}]}`),
		[]byte(`{"inputs": [{"data": [1e999]}]}`),
		[]byte(`{"inputs": [{"data": null}]}`),
		[]byte(`{"inputs": [{"data": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}`),
		[]byte(`{"id": "x", "id": "y"}`),
		[]byte(`{"parameters": {"a": tru}}`),
		[]byte(`{}`),
		[]byte(`{"inputs": [`),
	}
}

func checkInferDecode(t *testing.T, body []byte) {
	fast, ok := fastInfer(body)
	slow, serr := slowInfer(body)
	if ok {
		if serr != nil {
			t.Fatalf("fast path accepted %q, encoding/json fails: %v", body, serr)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast path and encoding/json differ on %q:\n%#v\n%#v", body, fast, slow)
		}
	}
	r, err := DecodeInfer(body)
	if err != nil {
		return
	}
	r.Pairs(inferModel(t)) // must not panic
}

// FuzzDecodeInfer fuzzes OIP infer decoding and validation.
func FuzzDecodeInfer(f *testing.F) {
	for _, s := range inferSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkInferDecode)
}

// TestInferFastPathTaken checks that the usual infer forms take the fast path
// (the fuzz properties hold trivially if it never does).
func TestInferFastPathTaken(t *testing.T) {
	for i, body := range inferSeeds(t)[:2] {
		if _, ok := fastInfer(body); !ok {
			t.Errorf("infer seed %d %q is not on the fast path", i, body)
		}
	}
}

// TestInferDecodeErrorsAreAPIErrors: the fallback gives readable errors naming
// the field (a server's 400s).
func TestInferDecodeErrorsAreAPIErrors(t *testing.T) {
	_, err := DecodeInfer([]byte(`{"inputs": [{"shape": "x"}]}`))
	if err == nil || !strings.Contains(err.Error(), "inputs.shape") {
		t.Errorf("infer error %v", err)
	}
	var syntax *json.SyntaxError
	if _, err := DecodeInfer([]byte(`{`)); err == nil || errors.As(err, &syntax) {
		t.Errorf("infer syntax error %v: want a readable 400 error", err)
	}
}
