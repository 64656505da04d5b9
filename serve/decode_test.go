package serve

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func inferSeeds(t testing.TB) [][]byte {
	valid := mustJSON(t, validInfer(1, 2, 3, 2))
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
	m, _ := testModels(t)
	inferInputs(m, r) // must not panic
}

// FuzzDecodeInfer fuzzes OIP infer decoding and validation.
func FuzzDecodeInfer(f *testing.F) {
	for _, s := range inferSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkInferDecode)
}

// TestFastPathTaken checks that the usual infer forms take the fast path
// (the fuzz properties hold trivially if it never does).
func TestFastPathTaken(t *testing.T) {
	for i, body := range inferSeeds(t)[:2] {
		if _, ok := fastInfer(body); !ok {
			t.Errorf("infer seed %d %q is not on the fast path", i, body)
		}
	}
}

// TestDecodeErrorsAreAPIErrors: the fallback gives readable 400 errors
// naming the field.
func TestDecodeErrorsAreAPIErrors(t *testing.T) {
	_, err := DecodeInfer([]byte(`{"inputs": [{"shape": "x"}]}`))
	if err == nil || !strings.Contains(err.Error(), "inputs.shape") {
		t.Errorf("infer error %v", err)
	}
	var syntax *json.SyntaxError
	if _, err := DecodeInfer([]byte(`{`)); err == nil || errors.As(err, &syntax) {
		t.Errorf("infer syntax error %v: want a readable 400 error", err)
	}
}
