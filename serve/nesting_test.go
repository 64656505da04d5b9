package serve

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"causeway/api"
)

// TestInferNesting: the infer endpoint answers an OIP tensor nested to its
// shape as it answers the flat one, and a ragged nesting with a 400 naming
// the tensor and the offending index. (api's TestInferNesting holds the
// decoding to every form of nesting.)
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
	nestedBase := []any{rows(base[:6], 2), rows(base[6:], 2)} // [2][3][2]
	for _, tc := range []struct {
		name  string
		input int // 0: base_samples, 2: target_row
		data  any
		field string // "" for 200
		want  string
	}{
		{"nested [B,S,N]", 0, nestedBase, "", ""},
		{"ragged deep", 0, []any{rows(base[:6], 2), []any{base[6:8], base[8:9], base[9:12]}}, "inputs[0].data[1][1]", "base_samples data[1][1] has 1 number, but the shape [2,3,2] wants 2 there"},
		{"too shallow", 0, rows(base, 6), "inputs[0].data[0][0]", "base_samples data[0][0] is a number, but the shape [2,3,2] wants an array of 2 elements there"},
		{"ragged", 2, []any{target[:3], target[3:]}, "inputs[2].data[0]", "target_row data[0] has 3 numbers, but the shape [2,2] wants 2 there"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := edit(t, valid, func(m map[string]any) {
				m["inputs"].([]any)[tc.input].(map[string]any)["data"] = tc.data
			})
			w := do(t, s, http.MethodPost, "/v2/models/model-a/infer", body)
			if tc.field == "" {
				if w.Code != http.StatusOK {
					t.Fatalf("status %d: %s", w.Code, w.Body)
				}
				flat := do(t, s, http.MethodPost, "/v2/models/model-a/infer", mustJSON(t, valid))
				var got, want api.InferResponse
				if json.Unmarshal(w.Body.Bytes(), &got) != nil || json.Unmarshal(flat.Body.Bytes(), &want) != nil || !reflect.DeepEqual(got.Outputs, want.Outputs) {
					t.Errorf("nested answer %s\ndiffers from the flat one %s", w.Body, flat.Body)
				}
				return
			}
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			e := errorOf(t, w)
			if e.Field != tc.field || !strings.Contains(e.Error, tc.want) {
				t.Errorf("error %q (field %q); want field %q and %q", e.Error, e.Field, tc.field, tc.want)
			}
		})
	}
}
