package serve

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"causeway/api"
)

// predictSeeds are the seed corpus of FuzzDecodePredict: valid requests
// in many spellings and invalid ones near them.
func predictSeeds(t testing.TB) [][]byte {
	valid := mustJSON(t, validRequest(1, 4, 3))
	named := validRequest(2, 3, 2)
	named.Variables, named.IntervenedNode, named.Model = []string{"rain", "wet"}, &api.Node{Index: -1, Name: "wet"}, "model-d"
	thr := 0.25
	named.Threshold = &thr
	seeds := [][]byte{
		valid,
		mustJSON(t, named),
		mustJSON(t, api.BatchRequest{Instances: []api.Request{*validRequest(1, 3, 2), *named}}),
		[]byte(`{"base_samples": [[0, 1], [1, 0]], "int_samples": [[5, 1], [5, 2]], "int_mask": [1, 0], "target_row": [0.5, -1e-3]}`),
		[]byte(" \n{\"base_samples\":[[1E2,-0.0],[2.5e+1,3]],\"int_samples\":[[1,2],[3,4]],\"intervened_node\":\"x1\"}\t"),
		[]byte(`{"Base_Samples": [[1, 2], [3, 4]], "int_samples": [[1, 2], [3, 4]], "intervened_node": 0}`),
		[]byte(`{"base_samples": [[1, 2], [3, 4]], "base_samples": [[5, 6], [7, 8]], "int_samples": [[1, 2], [3, 4]], "intervened_node": 0}`),
		[]byte(`{"variables": ["a\"b", "\u00e9"], "intervened_node": "a\"b"}`),
		[]byte(`{"base_samples": null, "model": null, "threshold": null}`),
		[]byte(`{"base_samples": [[1, 2], [3]], "int_samples": [[1e400, 2], [3, 4]]}`),
		[]byte(`{"intervened_node": 1.0}`),
		[]byte(`{"intervened_node": -0}`),
		[]byte(`{"intervened_node": ""}`),
		[]byte(`{"intervened_node": true}`),
		[]byte(`{"base_samples": [[01, 2]]}`),
		[]byte(`{"base_samples": [[1.]]}`),
		[]byte(`{"base_samples": [[-]]}`),
		[]byte(`{"instances": []}`),
		[]byte(`{"instances": [{"instances": []}]}`),
		[]byte(`{"instances": [{}], "model": "x"}`),
		[]byte(`{"instances": null}`),
		[]byte(`{} {}`),
		[]byte(`{}}`),
		[]byte(`{"model": "\xff"}`),
		[]byte(`[]`),
		[]byte(`{`),
		[]byte(``),
	}
	return seeds
}

// checkPredictDecode is the property FuzzDecodePredict checks on one
// input: no panic; the fast path agrees with api.Decode whenever it
// accepts; validation and conversion of what decodes do not panic.
func checkPredictDecode(t *testing.T, body []byte) {
	req, batch, ok := fastPredict(body)
	wreq, wbatch, werr := api.Decode(bytes.NewReader(body))
	if ok {
		if werr != nil {
			t.Fatalf("fast path accepted %q, api.Decode fails: %v", body, werr)
		}
		if !reflect.DeepEqual(req, wreq) || !reflect.DeepEqual(batch, wbatch) {
			t.Fatalf("fast path and api.Decode differ on %q:\n%#v %#v\n%#v %#v", body, req, batch, wreq, wbatch)
		}
	}
	greq, gbatch, gerr := DecodePredict(body)
	if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
		t.Fatalf("DecodePredict %v, api.Decode %v", gerr, werr)
	}
	if gerr != nil {
		return
	}
	reqs := []*api.Request{greq}
	if gbatch != nil {
		reqs = reqs[:0]
		for i := range gbatch.Instances {
			reqs = append(reqs, &gbatch.Instances[i])
		}
	}
	for _, r := range reqs {
		for _, max := range []int{0, 3, 50} {
			if r.Validate(max) == nil {
				if _, err := r.Inputs(); err != nil {
					t.Fatalf("valid request %q does not convert: %v", body, err)
				}
			}
		}
	}
}

// FuzzDecodePredict fuzzes /predict decoding and validation; the seed
// corpus runs with every go test.
func FuzzDecodePredict(f *testing.F) {
	for _, s := range predictSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkPredictDecode)
}

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

// TestFastPathTaken checks that the usual request forms take the fast path
// (the fuzz properties hold trivially if it never does).
func TestFastPathTaken(t *testing.T) {
	for i, body := range predictSeeds(t)[:5] {
		if _, _, ok := fastPredict(body); !ok {
			t.Errorf("predict seed %d %q is not on the fast path", i, body)
		}
	}
	for i, body := range inferSeeds(t)[:2] {
		if _, ok := fastInfer(body); !ok {
			t.Errorf("infer seed %d %q is not on the fast path", i, body)
		}
	}
	// A Python client's output: spaces after separators, 17 digits.
	py := `{"base_samples": [[0.12345678901234568, -1.2345678901234567e-05], [3.0, 4.0]], "int_samples": [[1.0, 2.0], [3.0, 4.0]], "intervened_node": 0}`
	req, _, ok := fastPredict([]byte(py))
	if !ok || req.BaseSamples[0][1] != -1.2345678901234567e-05 {
		t.Errorf("python-style request: %v %+v", ok, req)
	}
}

// TestDecodeErrorsAreAPIErrors: the fallback keeps api.Decode's errors.
func TestDecodeErrorsAreAPIErrors(t *testing.T) {
	_, _, err := DecodePredict([]byte(`{"base_samples": "x"}`))
	var ae *api.Error
	if !errors.As(err, &ae) || ae.Field != "base_samples" {
		t.Errorf("error %v", err)
	}
	_, err = DecodeInfer([]byte(`{"inputs": [{"shape": "x"}]}`))
	if err == nil || !strings.Contains(err.Error(), "inputs.shape") {
		t.Errorf("infer error %v", err)
	}
	var syntax *json.SyntaxError
	if _, err := DecodeInfer([]byte(`{`)); err == nil || errors.As(err, &syntax) {
		t.Errorf("infer syntax error %v: want a readable 400 error", err)
	}
}
