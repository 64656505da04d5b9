package api

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"causeway/contract"
)

// editInfer returns r's JSON edited by f.
func editInfer(t *testing.T, r any, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(mustJSON(r)), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	return []byte(mustJSON(m))
}

// TestInferNesting: an OIP tensor's data may be flat or nested exactly to
// its shape (and then decodes on the fast path, to the same tensors); a
// ragged, too deep, too shallow or mixed nesting is an *Error naming the
// tensor and the offending index, whether "shape" comes before "data" or
// after it. (serve's TestInferNesting holds the endpoint to it.)
func TestInferNesting(t *testing.T) {
	m := inferModel(t)
	flat, _, err := validInfer(1, 2, 3, 2).Pairs(m)
	if err != nil {
		t.Fatal(err)
	}
	valid := validInfer(1, 2, 3, 2) // base_samples [2,3,2], target_row [2,2]
	base, target := valid.Inputs[0].Data, valid.Inputs[2].Data
	rows := func(flat []float64, n int) []any { // split into rows of n
		var out []any
		for i := 0; i < len(flat); i += n {
			out = append(out, flat[i:i+n])
		}
		return out
	}
	scalars := func(v []float64) []any {
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = x
		}
		return out
	}
	wrap := func(v []float64) []any { // every number in an array of its own
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = []float64{x}
		}
		return out
	}
	nestedBase := []any{rows(base[:6], 2), rows(base[6:], 2)} // [2][3][2]
	for _, tc := range []struct {
		name   string
		input  int // 0: base_samples, 2: target_row
		data   any
		field  string // "" for 200
		want   string
		answer bool // a 200 whose outputs must equal the flat request's
	}{
		{"flat", 2, target, "", "", true},
		{"nested [B,N]", 2, rows(target, 2), "", "", true},
		{"nested [B,S,N]", 0, nestedBase, "", "", true},
		{"ragged", 2, []any{target[:3], target[3:]}, "inputs[2].data[0]", "target_row data[0] has 3 numbers, but the shape [2,2] wants 2 there", false},
		{"ragged deep", 0, []any{rows(base[:6], 2), []any{base[6:8], base[8:9], base[9:12]}}, "inputs[0].data[1][1]", "base_samples data[1][1] has 1 number, but the shape [2,3,2] wants 2 there", false},
		{"too many rows", 2, rows(append(append([]float64(nil), target...), 1, 2), 2), "inputs[2].data", "target_row data has 3 elements, but the shape [2,2] wants 2 there", false},
		{"too deep", 2, []any{wrap(target[:2]), wrap(target[2:])}, "inputs[2].data[0][0]", "target_row data[0][0] is an array, but the shape [2,2] has rank 2", false},
		{"too shallow", 0, rows(base, 6), "inputs[0].data[0][0]", "base_samples data[0][0] is a number, but the shape [2,3,2] wants an array of 2 elements there", false},
		{"mixed: a number among rows", 2, []any{target[:2], target[2], target[3]}, "inputs[2].data[1]", "target_row data[1] is a number, but the shape [2,2] wants an array of 2 elements", false},
		{"mixed: an array among numbers", 2, append(scalars(target[:2]), target[2:]), "inputs[2].data[2]", "target_row data[2] is an array, but data[0] is a number", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := editInfer(t, valid, func(m map[string]any) {
				m["inputs"].([]any)[tc.input].(map[string]any)["data"] = tc.data
			})
			// json.Marshal of a map sorts the keys: "data" before
			// "shape"; reorder puts it first too, and "id" last.
			for _, b := range [][]byte{body, reorder(t, body)} {
				if _, fast := fastInfer(b); fast != (tc.field == "") {
					t.Errorf("fast path taken: %v, want %v", fast, tc.field == "")
				}
				r, err := DecodeInfer(b)
				var in contract.Pairs
				if err == nil {
					in, _, err = r.Pairs(m)
				}
				if tc.field == "" {
					if err != nil {
						t.Fatalf("error %v", err)
					}
					if tc.answer && !reflect.DeepEqual(in, flat) {
						t.Errorf("nested request decodes to %+v\ndiffers from the flat one %+v", in, flat)
					}
					continue
				}
				var e *Error
				if !errors.As(err, &e) || e.Field != tc.field || !strings.Contains(e.Error(), tc.want) {
					t.Errorf("error %v; want field %q and %q", err, tc.field, tc.want)
				}
			}
		})
	}
}

// reorder returns an infer body with each input's keys in the order data,
// shape, name, datatype and the id last, written by hand.
func reorder(t *testing.T, body []byte) []byte {
	t.Helper()
	var r struct {
		ID     string                       `json:"id"`
		Inputs []map[string]json.RawMessage `json:"inputs"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`{"inputs": [`)
	for i, in := range r.Inputs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("{")
		for j, k := range []string{"data", "shape", "name", "datatype"} {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`"` + k + `": ` + string(in[k]))
		}
		b.WriteString("}")
	}
	b.WriteString(`], "id": "` + r.ID + `"}`)
	return []byte(b.String())
}
