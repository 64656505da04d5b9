package serve

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestInferNesting: an OIP tensor's data may be flat or nested exactly to
// its shape (and then decodes on the fast path, to the same answer); a
// ragged, too deep, too shallow or mixed nesting is a 400 naming the
// tensor and the offending index, whether "shape" comes before "data" or
// after it.
func TestInferNesting(t *testing.T) {
	s := newTestServer(t, Config{})
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
			body := edit(t, valid, func(m map[string]any) {
				m["inputs"].([]any)[tc.input].(map[string]any)["data"] = tc.data
			})
			// json.Marshal of a map sorts the keys: "data" before
			// "shape"; reorder puts it first too, and "id" last.
			for _, b := range [][]byte{body, reorder(t, body)} {
				if _, fast := fastInfer(b); fast != (tc.field == "") {
					t.Errorf("fast path taken: %v, want %v", fast, tc.field == "")
				}
				w := do(t, s, http.MethodPost, "/v2/models/model-a/infer", b)
				if tc.field == "" {
					if w.Code != http.StatusOK {
						t.Fatalf("status %d: %s", w.Code, w.Body)
					}
					if tc.answer {
						flat := do(t, s, http.MethodPost, "/v2/models/model-a/infer", mustJSON(t, valid))
						var got, want InferResponse
						if json.Unmarshal(w.Body.Bytes(), &got) != nil || json.Unmarshal(flat.Body.Bytes(), &want) != nil || !reflect.DeepEqual(got.Outputs, want.Outputs) {
							t.Errorf("nested answer %s\ndiffers from the flat one %s", w.Body, flat.Body)
						}
					}
					continue
				}
				if w.Code != http.StatusBadRequest {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
				e := errorOf(t, w)
				if e.Field != tc.field || !strings.Contains(e.Error, tc.want) {
					t.Errorf("error %q (field %q); want field %q and %q", e.Error, e.Field, tc.field, tc.want)
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
