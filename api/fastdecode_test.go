package api

import (
	"errors"
	"reflect"
	"testing"
)

// predictSeeds are the seed corpus of FuzzFastDecode: valid requests
// in many spellings and invalid ones near them.
func predictSeeds(t testing.TB) [][]byte {
	valid := []byte(mustJSON(validRequest(4, 3)))
	named := validRequest(3, 2)
	named.Variables, named.IntervenedNode, named.Model = []string{"rain", "wet"}, &Node{Index: -1, Name: "wet"}, "model-d"
	thr := 0.25
	named.Threshold = &thr
	seeds := [][]byte{
		valid,
		[]byte(mustJSON(named)),
		[]byte(mustJSON(BatchRequest{Instances: []Request{*validRequest(3, 2), *named}})),
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

// checkPredictDecode is the property FuzzFastDecode checks on one input:
// no panic; the fast path agrees with the encoding/json path whenever it
// accepts; DecodeBytes gives the encoding/json path's error; validation
// and conversion of what decodes do not panic.
func checkPredictDecode(t *testing.T, body []byte) {
	req, batch, ok := fastDecode(body)
	wreq, wbatch, werr := decodeSlow(body)
	if ok {
		if werr != nil {
			t.Fatalf("fast path accepted %q, encoding/json fails: %v", body, werr)
		}
		if !reflect.DeepEqual(req, wreq) || !reflect.DeepEqual(batch, wbatch) {
			t.Fatalf("fast path and encoding/json differ on %q:\n%#v %#v\n%#v %#v", body, req, batch, wreq, wbatch)
		}
	}
	greq, gbatch, gerr := DecodeBytes(body)
	if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
		t.Fatalf("DecodeBytes %v, encoding/json %v", gerr, werr)
	}
	if gerr != nil {
		return
	}
	reqs := []*Request{greq}
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

// FuzzFastDecode fuzzes request decoding and validation; the seed corpus
// runs with every go test.
func FuzzFastDecode(f *testing.F) {
	for _, s := range predictSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(checkPredictDecode)
}

// TestFastPathTaken checks that the usual request forms take the fast path
// (the fuzz properties hold trivially if it never does).
func TestFastPathTaken(t *testing.T) {
	for i, body := range predictSeeds(t)[:5] {
		if _, _, ok := fastDecode(body); !ok {
			t.Errorf("seed %d %q is not on the fast path", i, body)
		}
	}
	// A Python client's output: spaces after separators, 17 digits.
	py := `{"base_samples": [[0.12345678901234568, -1.2345678901234567e-05], [3.0, 4.0]], "int_samples": [[1.0, 2.0], [3.0, 4.0]], "intervened_node": 0}`
	req, _, ok := fastDecode([]byte(py))
	if !ok || req.BaseSamples[0][1] != -1.2345678901234567e-05 {
		t.Errorf("python-style request: %v %+v", ok, req)
	}
}

// TestDecodeErrorsAreAPIErrors: a field's error names the field.
func TestDecodeErrorsAreAPIErrors(t *testing.T) {
	_, _, err := DecodeBytes([]byte(`{"base_samples": "x"}`))
	var ae *Error
	if !errors.As(err, &ae) || ae.Field != "base_samples" {
		t.Errorf("error %v", err)
	}
}

// BenchmarkDecode compares the fast path with encoding/json on a
// 20-variable, 100-sample request.
func BenchmarkDecode(b *testing.B) {
	body := []byte(mustJSON(validRequest(100, 20)))
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, _, err := DecodeBytes(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, _, err := decodeSlow(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}
