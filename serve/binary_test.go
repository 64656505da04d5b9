package serve

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"causeway/api"
)

// binaryRequest encodes r under the binary tensor data extension: every
// input's data goes after the JSON part as little-endian FP32, in order.
// It returns the body and the Inference-Header-Content-Length value.
func binaryRequest(t testing.TB, r *api.InferRequest, parameters map[string]any, outputs []map[string]any) ([]byte, string) {
	t.Helper()
	var bin []byte
	var inputs []map[string]any
	for _, in := range r.Inputs {
		start := len(bin)
		for _, v := range in.Data {
			bin = binary.LittleEndian.AppendUint32(bin, math.Float32bits(float32(v)))
		}
		inputs = append(inputs, map[string]any{"name": in.Name, "datatype": in.Datatype, "shape": in.Shape,
			"parameters": map[string]any{"binary_data_size": len(bin) - start}})
	}
	header := map[string]any{"id": r.ID, "inputs": inputs}
	if parameters != nil {
		header["parameters"] = parameters
	}
	if outputs != nil {
		header["outputs"] = outputs
	}
	j := mustJSON(t, header)
	return append(j, bin...), strconv.Itoa(len(j))
}

func postBinary(t testing.TB, h http.Handler, body []byte, headerLen string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v2/models/model-a/infer", bytes.NewReader(body))
	if headerLen != "" {
		req.Header.Set(api.InferenceHeaderLength, headerLen)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// splitResponse parses a binary-extension response into its JSON part and
// its binary tensors, in output order.
func splitResponse(t *testing.T, w *httptest.ResponseRecorder) (api.InferResponse, map[string][]float32) {
	t.Helper()
	body := w.Body.Bytes()
	n, err := strconv.Atoi(w.Header().Get(api.InferenceHeaderLength))
	if err != nil || n > len(body) {
		t.Fatalf("header %q for a %d-byte body", w.Header().Get(api.InferenceHeaderLength), len(body))
	}
	var r api.InferResponse
	if err := json.Unmarshal(body[:n], &r); err != nil {
		t.Fatalf("JSON part: %v", err)
	}
	bin := body[n:]
	out := map[string][]float32{}
	for _, o := range r.Outputs {
		if o.Parameters == nil {
			continue
		}
		size := o.Parameters.BinaryDataSize
		if o.Data != nil || size > len(bin) || size%4 != 0 {
			t.Fatalf("output %s: data %v, binary_data_size %d, %d bytes left", o.Name, o.Data, size, len(bin))
		}
		v := make([]float32, size/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(bin[4*i:]))
		}
		out[o.Name], bin = v, bin[size:]
	}
	if len(bin) != 0 {
		t.Fatalf("%d bytes after the binary outputs", len(bin))
	}
	return r, out
}

// TestInferBinary sends the same tensors as JSON and as binary data and
// checks that the answers agree bit for bit, whichever outputs come back
// binary.
func TestInferBinary(t *testing.T) {
	s := newTestServer(t, Config{})
	req := validInfer(3, 2, 6, 4)
	w := do(t, s, http.MethodPost, "/v2/models/model-a/infer", mustJSON(t, req))
	if w.Code != 200 || w.Header().Get(api.InferenceHeaderLength) != "" {
		t.Fatalf("JSON request: %d %s", w.Code, w.Body)
	}
	var want api.InferResponse
	if err := json.Unmarshal(w.Body.Bytes(), &want); err != nil {
		t.Fatal(err)
	}
	wantData := map[string][]float32{}
	for _, o := range want.Outputs {
		wantData[o.Name] = o.Data
	}
	for _, tc := range []struct {
		name       string
		parameters map[string]any
		outputs    []map[string]any
		binary     []string // outputs expected as binary data, in order
	}{
		{"JSON outputs", nil, nil, nil},
		{"all binary", map[string]any{"binary_data_output": true}, nil, []string{"delta", "adj_logits"}},
		{"one binary", nil, []map[string]any{{"name": "adj_logits", "parameters": map[string]any{"binary_data": true}}, {"name": "delta"}}, []string{"adj_logits"}},
		{"override", map[string]any{"binary_data_output": true, "priority": 3},
			[]map[string]any{{"name": "delta", "parameters": map[string]any{"binary_data": false}}, {"name": "adj_logits"}}, []string{"adj_logits"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, hl := binaryRequest(t, req, tc.parameters, tc.outputs)
			w := postBinary(t, s, body, hl)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var got api.InferResponse
			gotData := map[string][]float32{}
			if tc.binary == nil {
				if w.Header().Get(api.InferenceHeaderLength) != "" || w.Header().Get("Content-Type") != "application/json" {
					t.Errorf("JSON answer with headers %v", w.Header())
				}
				if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
			} else {
				if ct := w.Header().Get("Content-Type"); ct != "application/octet-stream" {
					t.Errorf("Content-Type %q", ct)
				}
				got, gotData = splitResponse(t, w)
			}
			var binaryNames []string
			for _, o := range got.Outputs {
				if o.Parameters != nil {
					binaryNames = append(binaryNames, o.Name)
				} else {
					gotData[o.Name] = o.Data
				}
			}
			if strings.Join(binaryNames, ",") != strings.Join(tc.binary, ",") {
				t.Errorf("binary outputs %v, want %v", binaryNames, tc.binary)
			}
			if got.ID != req.ID || len(got.Outputs) != 2 {
				t.Errorf("response %+v", got)
			}
			for name, w := range wantData {
				g := gotData[name]
				if len(g) != len(w) {
					t.Fatalf("%s: %d values, want %d", name, len(g), len(w))
				}
				for i := range w {
					if math.Float32bits(g[i]) != math.Float32bits(w[i]) {
						t.Fatalf("%s[%d] = %v, the JSON request gives %v", name, i, g[i], w[i])
					}
				}
			}
		})
	}
}

// TestInferBinaryErrors: each malformed binary request gets a 400 naming
// the field and the problem.
func TestInferBinaryErrors(t *testing.T) {
	s := newTestServer(t, Config{})
	req := validInfer(3, 1, 4, 3)
	body, hl := binaryRequest(t, req, nil, nil)
	n, _ := strconv.Atoi(hl)
	jsonPart := body[:n]
	edited := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(jsonPart, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		return mustJSON(t, m)
	}
	input := func(m map[string]any, i int) map[string]any { return m["inputs"].([]any)[i].(map[string]any) }
	withJSON := func(j []byte, bin []byte) ([]byte, string) {
		return append(append([]byte{}, j...), bin...), strconv.Itoa(len(j))
	}
	bin := body[n:]
	nan := append([]byte{}, bin...)
	binary.LittleEndian.PutUint32(nan[4*5:], math.Float32bits(float32(math.NaN())))
	for _, tc := range []struct {
		name        string
		body        []byte
		header      string
		field, want string
	}{
		{"header not a number", body, "twelve", api.InferenceHeaderLength, `is "twelve"`},
		{"header past the body", body, strconv.Itoa(len(body) + 1), api.InferenceHeaderLength, "want the byte length of the JSON part"},
		{"no header", body[:n], "", "inputs[0].parameters.binary_data_size", "needs the Inference-Header-Content-Length header"},
		{"too few bytes", body[:len(body)-4], hl, "inputs[3].parameters.binary_data_size", "is 12; 8 bytes of binary data are left"},
		{"bytes left over", append(append([]byte{}, body...), 1, 2, 3, 4), hl, api.InferenceHeaderLength, "4 bytes of binary data follow"},
		{"not whole floats", func() []byte {
			b, _ := withJSON(edited(func(m map[string]any) { input(m, 3)["parameters"] = map[string]any{"binary_data_size": 10} }), bin[:len(bin)-2])
			return b
		}(), strconv.Itoa(len(edited(func(m map[string]any) { input(m, 3)["parameters"] = map[string]any{"binary_data_size": 10} }))),
			"inputs[3].parameters.binary_data_size", "not a whole number of 4-byte FP32 values"},
		{"size against shape", func() []byte {
			b, _ := withJSON(edited(func(m map[string]any) { input(m, 2)["shape"] = []int{1, 2} }), bin)
			return b
		}(), strconv.Itoa(len(edited(func(m map[string]any) { input(m, 2)["shape"] = []int{1, 2} }))),
			"inputs[2].shape", "target_row has shape [1 2]"},
		{"NaN", append(append([]byte{}, jsonPart...), nan...), hl, "inputs[0] (binary data)", "element 5 is NaN"},
		{"data and binary", func() []byte {
			b, _ := withJSON(edited(func(m map[string]any) { input(m, 2)["data"] = []float64{1, 2, 3} }), bin)
			return b
		}(), strconv.Itoa(len(edited(func(m map[string]any) { input(m, 2)["data"] = []float64{1, 2, 3} }))),
			"inputs[2].parameters.binary_data_size", "both \"data\" and binary data"},
		{"size not a number", func() []byte {
			b, _ := withJSON(edited(func(m map[string]any) { input(m, 0)["parameters"] = map[string]any{"binary_data_size": "48"} }), bin)
			return b
		}(), strconv.Itoa(len(edited(func(m map[string]any) { input(m, 0)["parameters"] = map[string]any{"binary_data_size": "48"} }))),
			"inputs[0].parameters.binary_data_size", "got a JSON string, want an integer byte count"},
		{"binary_data not a boolean", func() []byte {
			b, _ := withJSON(edited(func(m map[string]any) {
				m["outputs"] = []any{map[string]any{"name": "delta", "parameters": map[string]any{"binary_data": "yes"}}}
			}), bin)
			return b
		}(), strconv.Itoa(len(edited(func(m map[string]any) {
			m["outputs"] = []any{map[string]any{"name": "delta", "parameters": map[string]any{"binary_data": "yes"}}}
		}))), "outputs[0].parameters.binary_data", "want a boolean"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := postBinary(t, s, tc.body, tc.header)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d: %.300s", w.Code, w.Body)
			}
			e := errorOf(t, w)
			if e.Field != tc.field || !strings.Contains(e.Error, tc.want) {
				t.Errorf("error %q (field %q); want field %q and %q", e.Error, e.Field, tc.field, tc.want)
			}
		})
	}
}

// FuzzInferBinary: no header value or body may panic the binary decoding
// and validation.
func FuzzInferBinary(f *testing.F) {
	body, hl := binaryRequest(f, validInfer(3, 1, 4, 3), map[string]any{"binary_data_output": true}, nil)
	f.Add(hl, body)
	f.Add("0", body)
	f.Add("-1", []byte("{}"))
	f.Add("2", []byte("{}\x00\x00\x80\x7f"))
	s := newTestServer(f, Config{})
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		w := postBinary(t, s, body, header)
		if w.Code != 200 && w.Code != 400 {
			t.Fatalf("status %d for header %q: %s", w.Code, header, w.Body)
		}
	})
}
