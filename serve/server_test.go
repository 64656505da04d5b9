package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"causeway/api"
	"causeway/onnxrt"
)

// errorOf decodes an error body and checks its shape.
func errorOf(t *testing.T, w *httptest.ResponseRecorder) api.ErrorBody {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error Content-Type %q", ct)
	}
	var e api.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error == "" {
		t.Fatalf("error body %q is not {\"error\": ...} (%v)", w.Body.String(), err)
	}
	if e.RequestID == "" || e.RequestID != w.Header().Get(echo.HeaderXRequestID) {
		t.Errorf("error body request_id %q, header %q", e.RequestID, w.Header().Get(echo.HeaderXRequestID))
	}
	return e
}

// edit returns the JSON of a valid request changed by f (on a generic map,
// so it can hold anything).
func edit(t *testing.T, r any, f func(m map[string]any)) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(mustJSON(t, r), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	return mustJSON(t, m)
}

func TestPredict(t *testing.T) {
	s := newTestServer(t, Config{})
	a, d := testModels(t)
	req := validRequest(1, 30, 5)
	w := do(t, s, http.MethodPost, "/predict", mustJSON(t, req))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want, err := api.Predict(context.Background(), a, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(w.Body.String()); got != string(mustJSON(t, want)) {
		t.Errorf("response\n%s\nwant (api.Predict on the Go executor)\n%s", got, mustJSON(t, want))
	}
	if w.Header().Get("Content-Length") == "" {
		t.Error("no Content-Length")
	}

	// The model field picks a model; names label the edges.
	req2 := validRequest(2, 20, 3)
	req2.Model, req2.Variables = "model-d", []string{"rain", "sprinkler", "wet"}
	req2.IntervenedNode = &api.Node{Index: -1, Name: "rain"}
	thr := 0.01
	req2.Threshold = &thr
	w = do(t, s, http.MethodPost, "/predict", mustJSON(t, req2))
	var got api.Response
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	want, _ = api.Predict(context.Background(), d, req2)
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("model-d response %+v, want %+v", got, *want)
	}
	if got.Model != "model-d" || len(got.Edges) == 0 || got.Edges[0].From == "x0" {
		t.Errorf("response %+v: want model-d and named edges", got)
	}
}

func TestPredictBatch(t *testing.T) {
	s := newTestServer(t, Config{})
	_, d := testModels(t)
	batch := api.BatchRequest{Instances: []api.Request{*validRequest(1, 10, 4), *validRequest(2, 12, 3), *validRequest(3, 10, 4)}}
	for i := range batch.Instances {
		batch.Instances[i].Model = "model-d"
	}
	batch.Instances[1].IntervenedNode = nil
	batch.Instances[1].IntMask = []float64{0, 1, 0}
	w := do(t, s, http.MethodPost, "/predict", mustJSON(t, batch))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got api.BatchResponse
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want, err := api.PredictBatch(context.Background(), d, &batch)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&got, want) {
		t.Errorf("batch response differs from api.PredictBatch")
	}
	if len(got.Predictions) != 3 || got.Predictions[1].Model != "model-d" || len(got.Predictions[1].Delta) != 3 {
		t.Errorf("predictions %+v", got.Predictions)
	}
}

// TestPredictErrors sends every kind of bad /predict request: each gets a
// 4xx JSON error naming the field and the problem.
func TestPredictErrors(t *testing.T) {
	s := newTestServer(t, Config{MaxBody: 64 << 10})
	valid := validRequest(1, 10, 4)
	rows := func(m map[string]any, key string) []any { return m[key].([]any) }
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		field  string // "" when the error has no field
		want   string // substring of the error
	}{
		{"empty body", []byte(""), 400, "", "not a JSON object"},
		{"malformed JSON", []byte(`{"base_samples": [[1, 2], [3, 4]],`), 400, "", "not a JSON object"},
		{"not an object", []byte(`[1, 2]`), 400, "", "not a JSON object"},
		{"trailing data", append(mustJSON(t, valid), " {}"...), 400, "", "trailing data"},
		{"NaN literal", []byte(`{"base_samples": [[NaN, 1], [1, 2]]}`), 400, "", "not a JSON object"},
		{"unknown field", edit(t, valid, func(m map[string]any) { m["samples"] = 1 }), 400, "", `unknown field "samples"`},
		{"wrong type", edit(t, valid, func(m map[string]any) { m["base_samples"] = "x" }), 400, "base_samples", "want an array of arrays"},
		{"missing base", edit(t, valid, func(m map[string]any) { delete(m, "base_samples") }), 400, "base_samples", "missing"},
		{"S < 2", edit(t, valid, func(m map[string]any) {
			m["base_samples"] = rows(m, "base_samples")[:1]
			m["int_samples"] = rows(m, "int_samples")[:1]
		}), 400, "base_samples", "S ≥ 2"},
		{"N < 2", edit(t, valid, func(m map[string]any) {
			for _, k := range []string{"base_samples", "int_samples"} {
				for i, r := range rows(m, k) {
					rows(m, k)[i] = r.([]any)[:1]
				}
			}
			m["intervened_node"] = 0
		}), 400, "base_samples[0]", "N ≥ 2"},
		{"N above max_nodes", mustJSON(t, validRequest(2, 5, testMaxNodes+1)), 400, "base_samples[0]", "max_nodes=8"},
		{"ragged base", edit(t, valid, func(m map[string]any) { rows(m, "base_samples")[3] = []any{1.0, 2.0} }), 400, "base_samples[3]", "has 2 values"},
		{"ragged int", edit(t, valid, func(m map[string]any) { rows(m, "int_samples")[2] = []any{1.0, 2.0, 3.0, 4.0, 5.0} }), 400, "int_samples[2]", "has 5 values"},
		{"S mismatch", edit(t, valid, func(m map[string]any) { m["int_samples"] = rows(m, "int_samples")[:7] }), 400, "int_samples", "has 7 rows"},
		{"target shape", edit(t, valid, func(m map[string]any) { m["target_row"] = []float64{1, 2} }), 400, "target_row", "has 2 values"},
		{"Inf (overflow)", bytes.Replace(mustJSON(t, valid), []byte("[["), []byte("[[1e400,"), 1), 400, "base_samples", "1e400"},
		{"beyond float32", edit(t, valid, func(m map[string]any) { rows(m, "base_samples")[1].([]any)[2] = 1e39 }), 400, "base_samples[1][2]", "not a finite float32"},
		{"node out of range", edit(t, valid, func(m map[string]any) { m["intervened_node"] = 4 }), 400, "intervened_node", "out of range [0, 4)"},
		{"node negative", edit(t, valid, func(m map[string]any) { m["intervened_node"] = -1 }), 400, "intervened_node", "out of range"},
		{"node not an integer", edit(t, valid, func(m map[string]any) { m["intervened_node"] = 1.5 }), 400, "intervened_node", "not a variable index"},
		{"node unknown name", edit(t, valid, func(m map[string]any) { m["intervened_node"] = "rain" }), 400, "intervened_node", `"rain" is not a variable`},
		{"no intervention", edit(t, valid, func(m map[string]any) { delete(m, "intervened_node") }), 400, "intervened_node", "missing"},
		{"mask not one-hot", edit(t, valid, func(m map[string]any) {
			delete(m, "intervened_node")
			m["int_mask"] = []float64{1, 1, 0, 0}
		}), 400, "int_mask", "has 2 ones"},
		{"threshold", edit(t, valid, func(m map[string]any) { m["threshold"] = 1.5 }), 400, "threshold", "(0, 1)"},
		{"unknown model", edit(t, valid, func(m map[string]any) { m["model"] = "model-z" }), 400, "model", `unknown model "model-z" (loaded: model-a, model-d`},
		{"empty batch", []byte(`{"instances": []}`), 400, "instances", "empty"},
		{"batch with other fields", []byte(`{"instances": [{}], "model": "model-a"}`), 400, "", "unknown field"},
		{"batch instance error", mustJSON(t, map[string]any{"instances": []any{valid, edit(t, valid, func(m map[string]any) {
			rows(m, "base_samples")[5] = []any{1.0}
		})}}), 400, "instances[1].base_samples[5]", "has 1 values"},
		{"batch unknown model", mustJSON(t, map[string]any{"instances": []any{valid, edit(t, valid, func(m map[string]any) { m["model"] = "nope" })}}),
			400, "instances[1].model", "unknown model"},
		{"batch mixed models", mustJSON(t, map[string]any{"instances": []any{valid, edit(t, valid, func(m map[string]any) { m["model"] = "model-d" })}}),
			400, "instances[1].model", "a batch runs on one model"},
		{"body too large", mustJSON(t, validRequest(3, 2000, 4)), 413, "", "limit is 64KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, s, http.MethodPost, "/predict", tc.body)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			e := errorOf(t, w)
			if e.Field != tc.field || !strings.Contains(e.Error, tc.want) {
				t.Errorf("error %q (field %q); want field %q and %q", e.Error, e.Field, tc.field, tc.want)
			}
			if tc.field != "" && !strings.HasPrefix(e.Error, tc.field+": ") {
				t.Errorf("error %q does not start with its field %q", e.Error, tc.field)
			}
		})
	}
}

// TestBodyTooLargeChunked checks the limit on a body without
// Content-Length.
func TestBodyTooLargeChunked(t *testing.T) {
	s := newTestServer(t, Config{MaxBody: 1 << 10})
	req := httptest.NewRequest(http.MethodPost, "/predict", io.MultiReader(bytes.NewReader(mustJSON(t, validRequest(1, 100, 4)))))
	req.ContentLength = -1
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if e := errorOf(t, w); !strings.Contains(e.Error, "1KiB") {
		t.Errorf("error %q", e.Error)
	}
}

func TestRoutesAndMetadata(t *testing.T) {
	s := newTestServer(t, Config{Default: "model-d", Version: "1.2.3"})
	for _, tc := range []struct {
		method, path string
		status       int
		want         string // substring of the body ("" for an empty body)
	}{
		{"GET", "/v2", 200, `{"name":"causeway","version":"1.2.3","extensions":["binary_tensor_data"]}`},
		{"GET", "/v2/health/live", 200, ""},
		{"GET", "/v2/health/ready", 200, ""},
		{"GET", "/v2/models/model-a", 200, `{"name":"model-a","versions":["1"],"platform":"onnxruntime_onnx","inputs":[{"name":"base_samples","datatype":"FP32","shape":[-1,-1,-1]},{"name":"int_samples","datatype":"FP32","shape":[-1,-1,-1]},{"name":"target_row","datatype":"FP32","shape":[-1,-1]},{"name":"int_mask","datatype":"FP32","shape":[-1,-1]}],"outputs":[{"name":"delta","datatype":"FP32","shape":[-1,-1]},{"name":"adj_logits","datatype":"FP32","shape":[-1,-1,-1]}]}`},
		{"GET", "/v2/models/model-d/versions/1", 200, `"name":"model-d"`},
		{"GET", "/v2/models/model-a/ready", 200, ""},
		{"GET", "/v2/models/model-d/versions/1/ready", 200, ""},
		{"GET", "/v2/models/nope", 404, `unknown model \"nope\" (loaded: model-a, model-d)`},
		{"GET", "/v2/models/nope/ready", 404, `unknown model`},
		{"GET", "/v2/models/model-a/versions/2", 404, `no version \"2\"`},
		{"POST", "/v2/models/nope/infer", 404, `unknown model`},
		{"GET", "/predict", 405, `method GET is not allowed on /predict`},
		{"POST", "/v2/health/live", 405, `not allowed`},
		{"GET", "/nowhere", 404, `no endpoint GET /nowhere; the endpoints are POST /predict`},
		{"GET", "/models", 200, `"default":"model-d"`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			w := do(t, s, tc.method, tc.path, nil)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			body := strings.TrimSpace(w.Body.String())
			switch {
			case tc.want == "" && body != "":
				t.Errorf("body %q, want none", body)
			case !strings.Contains(body, tc.want):
				t.Errorf("body %s\nwant it to contain %s", body, tc.want)
			}
			if tc.status >= 400 {
				errorOf(t, w)
			}
		})
	}
}

func TestModels(t *testing.T) {
	s := newTestServer(t, Config{})
	w := do(t, s, http.MethodGet, "/models", nil)
	var list api.ModelList
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil || w.Code != 200 {
		t.Fatalf("status %d, %v: %s", w.Code, err, w.Body)
	}
	if list.Default != "model-a" || len(list.Models) != 2 {
		t.Fatalf("list %+v", list)
	}
	a, d := list.Models[0], list.Models[1]
	if a.Name != "model-a" || !a.Default || a.Variant != "A" || a.MaxNodes != testMaxNodes || a.Config.DModel != 16 ||
		a.Training.Steps != 42 || a.Training.Seed != 1 || a.Version != "test" || a.Parameters == 0 {
		t.Errorf("model-a %+v", a)
	}
	if d.Name != "model-d" || d.Default || d.Variant != "D" || d.Training.Seed != 2 {
		t.Errorf("model-d %+v", d)
	}
}

func TestInfer(t *testing.T) {
	s := newTestServer(t, Config{})
	_, d := testModels(t)
	r := validInfer(1, 3, 10, 5)
	w := do(t, s, http.MethodPost, "/v2/models/model-d/infer", mustJSON(t, r))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got api.InferResponse
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	in, _, err := r.Pairs(d)
	if err != nil {
		t.Fatal(err)
	}
	out, err := d.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	want := api.InferResponse{ModelName: "model-d", ModelVersion: "1", ID: "req-1", Outputs: []api.InferOutput{
		{Name: "delta", Datatype: "FP32", Shape: []int{3, 5}, Data: out.Delta},
		{Name: "adj_logits", Datatype: "FP32", Shape: []int{3, 5, 5}, Data: out.AdjLogits},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("response %+v\nwant %+v", got, want)
	}

	// Nested data, one requested output, parameters, the versioned path.
	nested := edit(t, r, func(m map[string]any) {
		in := m["inputs"].([]any)[0].(map[string]any)
		flat := in["data"].([]any)
		var rows []any
		for i := 0; i < 30; i++ {
			rows = append(rows, flat[i*5:(i+1)*5])
		}
		in["data"] = []any{rows[:10], rows[10:20], rows[20:]}
		in["parameters"] = map[string]any{"note": "nested"}
		m["outputs"] = []any{map[string]any{"name": "adj_logits"}}
		m["parameters"] = map[string]any{"priority": 1}
	})
	w = do(t, s, http.MethodPost, "/v2/models/model-d/versions/1/infer", nested)
	var got2 api.InferResponse
	if err := json.Unmarshal(w.Body.Bytes(), &got2); err != nil || w.Code != 200 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if len(got2.Outputs) != 1 || !reflect.DeepEqual(got2.Outputs[0], want.Outputs[1]) {
		t.Errorf("nested request: outputs %+v", got2.Outputs)
	}
}

func TestInferErrors(t *testing.T) {
	s := newTestServer(t, Config{})
	valid := validInfer(1, 2, 6, 4)
	input := func(m map[string]any, i int) map[string]any { return m["inputs"].([]any)[i].(map[string]any) }
	for _, tc := range []struct {
		name  string
		body  []byte
		field string
		want  string
	}{
		{"malformed", []byte(`{"inputs": [`), "", "malformed request"},
		{"unknown field", edit(t, valid, func(m map[string]any) { m["input"] = 1 }), "", `unknown field "input"`},
		{"wrong type", edit(t, valid, func(m map[string]any) { input(m, 0)["shape"] = "2,6,4" }), "inputs.shape", "want an array of integers"},
		{"no inputs", []byte(`{"id": "x"}`), "inputs", "missing"},
		{"missing input", edit(t, valid, func(m map[string]any) { m["inputs"] = m["inputs"].([]any)[:3] }), "inputs", "missing int_mask [B,N]"},
		{"unknown input", edit(t, valid, func(m map[string]any) { input(m, 2)["name"] = "target" }), "inputs[2].name", `unknown input "target"`},
		{"repeated input", edit(t, valid, func(m map[string]any) { input(m, 1)["name"] = "base_samples" }), "inputs[1].name", "repeats inputs[0]"},
		{"datatype", edit(t, valid, func(m map[string]any) { input(m, 3)["datatype"] = "FP64" }), "inputs[3].datatype", "takes FP32"},
		{"rank", edit(t, valid, func(m map[string]any) { input(m, 0)["shape"] = []int{12, 4} }), "inputs[0].shape", "want [B,S,N]"},
		{"S < 2", edit(t, valid, func(m map[string]any) {
			for i := 0; i < 2; i++ {
				input(m, i)["shape"] = []int{12, 1, 4}
			}
		}), "inputs[0].shape", "S ≥ 2"},
		{"N < 2", edit(t, valid, func(m map[string]any) { input(m, 0)["shape"] = []int{12, 4, 1} }), "inputs[0].shape", "N ≥ 2"},
		{"N above max", edit(t, valid, func(m map[string]any) { input(m, 0)["shape"] = []int{1, 2, 24} }), "inputs[0].shape", "max_nodes=8"},
		{"shape mismatch", edit(t, valid, func(m map[string]any) { input(m, 1)["shape"] = []int{2, 4, 6} }), "inputs[1].shape", "want [B,S,N] = [2 6 4]"},
		{"ragged data", edit(t, valid, func(m map[string]any) { input(m, 2)["data"] = []float64{1, 2, 3} }), "inputs[2].data", "has 3 values; its shape [2 4] holds 8"},
		{"not numbers", edit(t, valid, func(m map[string]any) { input(m, 2)["data"] = []any{1, "2"} }), "inputs[2].data", "element 1 is not a number"},
		{"beyond float32", edit(t, valid, func(m map[string]any) { input(m, 0)["data"].([]any)[7] = 1e39 }), "inputs[0].data[7]", "not a finite float32"},
		{"mask not one-hot", edit(t, valid, func(m map[string]any) { input(m, 3)["data"].([]any)[6] = 1.0 }), "inputs[3].data", "int_mask row 1 has 2 ones"},
		{"mask value", edit(t, valid, func(m map[string]any) { input(m, 3)["data"].([]any)[1] = 0.5 }), "inputs[3].data[1]", "one-hot"},
		{"unknown output", edit(t, valid, func(m map[string]any) { m["outputs"] = []any{map[string]any{"name": "adj"}} }), "outputs[0].name", `unknown output "adj"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := do(t, s, http.MethodPost, "/v2/models/model-a/infer", tc.body)
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

// TestPanics checks that a panic in a handler and one in a run (as in an
// executor kernel) answer 500 with the request id, and the server goes on.
func TestPanics(t *testing.T) {
	logs := &logBuffer{}
	s := newTestServer(t, Config{Logger: logs.logger()})
	s.echo.POST("/test/kernel-panic", func(c echo.Context) error {
		return s.run(c, func(context.Context) error { panic("index out of range in a kernel") })
	}, s.limit)
	s.echo.GET("/test/handler-panic", func(c echo.Context) error { panic("handler bug") })
	for _, tc := range []struct{ method, path string }{{"POST", "/test/kernel-panic"}, {"GET", "/test/handler-panic"}} {
		w := do(t, s, tc.method, tc.path, []byte("{}"))
		if w.Code != http.StatusInternalServerError {
			t.Fatalf("%s: status %d: %s", tc.path, w.Code, w.Body)
		}
		e := errorOf(t, w)
		if !strings.Contains(e.Error, "request id "+e.RequestID) {
			t.Errorf("%s: error %q does not name the request id %s", tc.path, e.Error, e.RequestID)
		}
	}
	if w := do(t, s, http.MethodPost, "/predict", mustJSON(t, validRequest(1, 5, 3))); w.Code != 200 {
		t.Errorf("after the panics /predict answers %d", w.Code)
	}
	var stack bool
	for _, r := range logs.records(t) {
		if r["msg"] == "request failed" && strings.Contains(fmt.Sprint(r["stack"]), "goroutine") {
			stack = true
		}
	}
	if !stack {
		t.Error("no panic stack logged")
	}
	// The slot of the panicking run was given back.
	if n := len(s.lim.slots); n != 0 {
		t.Errorf("%d slots still held", n)
	}
}

// TestSaturation fills the only slot and the queue: the next request gets
// 503 with Retry-After at once, a queued one 503 at its deadline.
func TestSaturation(t *testing.T) {
	s := newTestServer(t, Config{MaxConcurrency: 1, MaxQueue: 1, Timeout: 300 * time.Millisecond})
	hold, held := make(chan struct{}), make(chan struct{})
	s.echo.POST("/test/hold", func(c echo.Context) error {
		close(held)
		<-hold
		return c.NoContent(http.StatusOK)
	}, s.limit)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		do(t, s, http.MethodPost, "/test/hold", nil)
	}()
	<-held
	queued := make(chan *httptest.ResponseRecorder)
	go func() { queued <- do(t, s, http.MethodPost, "/predict", mustJSON(t, validRequest(1, 5, 3))) }()
	// Wait until the second request is queued, then send a third.
	for deadline := time.Now().Add(5 * time.Second); s.lim.waiting.Load() != 1; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("request not queued")
		}
	}
	w := do(t, s, http.MethodPost, "/predict", mustJSON(t, validRequest(1, 5, 3)))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("saturated: status %d, Retry-After %q: %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	if e := errorOf(t, w); !strings.Contains(e.Error, "saturated") {
		t.Errorf("error %q", e.Error)
	}
	w = <-queued
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || !strings.Contains(errorOf(t, w).Error, "deadline") {
		t.Errorf("queued past the deadline: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	// Health and metadata do not queue.
	if w := do(t, s, http.MethodGet, "/v2/health/ready", nil); w.Code != 200 {
		t.Errorf("ready while saturated: %d", w.Code)
	}
	close(hold)
	wg.Wait()
	if w := do(t, s, http.MethodPost, "/predict", mustJSON(t, validRequest(1, 5, 3))); w.Code != 200 {
		t.Errorf("after saturation: %d %s", w.Code, w.Body)
	}
	metrics := do(t, s, http.MethodGet, "/metrics", nil).Body.String()
	for _, want := range []string{`causeway_inference_rejected_total{reason="saturated"} 1`, `causeway_inference_rejected_total{reason="queue_timeout"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestRunTimeout: a run that the deadline stops answers 503 and frees its
// slot at once; a real model run stops at the deadline too; a client that
// goes away gets 499, not counted as a timeout.
func TestRunTimeout(t *testing.T) {
	s := newTestServer(t, Config{MaxConcurrency: 1, Timeout: 100 * time.Millisecond})
	var held int
	s.echo.POST("/test/slow", func(c echo.Context) error {
		return s.run(c, func(ctx context.Context) error {
			held = len(s.lim.slots)
			<-ctx.Done()
			return fmt.Errorf("kernel stopped: %w", ctx.Err())
		})
	}, s.limit)
	start := time.Now()
	w := do(t, s, http.MethodPost, "/test/slow", nil)
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(errorOf(t, w).Error, "did not finish within the server's 100ms deadline") {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("answered after %s", d)
	}
	if held != 1 || len(s.lim.slots) != 0 {
		t.Fatalf("slots: %d held during the run, %d after the answer; want 1 and 0", held, len(s.lim.slots))
	}

	// Model runs see the request's context: with a deadline already past
	// when the run starts, /predict (single and batch) and OIP infer stop
	// before the model's first node and answer 503.
	expired := newTestServer(t, Config{Timeout: time.Nanosecond})
	batch := api.BatchRequest{Instances: []api.Request{*validRequest(1, 5, 3), *validRequest(2, 5, 3)}}
	for _, tc := range []struct {
		path string
		body any
	}{{"/predict", validRequest(1, 5, 3)}, {"/predict", batch}, {"/v2/models/model-a/infer", validInfer(1, 2, 5, 3)}} {
		w := do(t, expired, http.MethodPost, tc.path, mustJSON(t, tc.body))
		if w.Code != http.StatusServiceUnavailable || !strings.Contains(errorOf(t, w).Error, "did not finish within the server's 1ns deadline") {
			t.Errorf("%s with an expired deadline: status %d: %s", tc.path, w.Code, w.Body)
		}
	}
	if n := len(expired.lim.slots); n != 0 {
		t.Errorf("%d slots held after the stopped runs", n)
	}

	// Errors that are not the context's stay what they are.
	s.echo.POST("/test/fails", func(c echo.Context) error {
		return s.run(c, func(context.Context) error { return errors.New("disk on fire") })
	}, s.limit)
	if w := do(t, s, http.MethodPost, "/test/fails", nil); w.Code != http.StatusInternalServerError {
		t.Errorf("failing run: %d %s", w.Code, w.Body)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodPost, "/test/slow", nil).WithContext(ctx)
	w = httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != statusClientClosed {
		t.Errorf("canceled request: %d %s", w.Code, w.Body)
	}
	metrics := do(t, s, http.MethodGet, "/metrics", nil).Body.String()
	if !strings.Contains(metrics, `causeway_inference_rejected_total{reason="run_timeout"} 1`) {
		t.Errorf("run_timeout counter: %s", metrics)
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	logs := &logBuffer{}
	s := newTestServer(t, Config{Logger: logs.logger()})
	req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(mustJSON(t, validRequest(1, 5, 3))))
	req.Header.Set(echo.HeaderXRequestID, "client-id-1")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if got := w.Header().Get(echo.HeaderXRequestID); got != "client-id-1" {
		t.Errorf("X-Request-Id %q, want the client's", got)
	}
	req = httptest.NewRequest(http.MethodGet, "/v2", nil)
	req.Header.Set(echo.HeaderXRequestID, "bad id with spaces")
	w = httptest.NewRecorder()
	s.ServeHTTP(w, req)
	gen := w.Header().Get(echo.HeaderXRequestID)
	if gen == "" || gen == "bad id with spaces" {
		t.Errorf("generated X-Request-Id %q", gen)
	}
	w2 := do(t, s, http.MethodGet, "/v2", nil)
	if w2.Header().Get(echo.HeaderXRequestID) == gen {
		t.Error("request ids repeat")
	}
	recs := logs.records(t)
	if len(recs) != 3 {
		t.Fatalf("%d log records, want 3", len(recs))
	}
	r := recs[0]
	if r["msg"] != "request" || r["id"] != "client-id-1" || r["method"] != "POST" || r["path"] != "/predict" ||
		r["status"] != 200.0 || r["model"] != "model-a" || r["ms"] == nil || r["bytes_out"].(float64) <= 0 {
		t.Errorf("access log record %v", r)
	}
}

func TestMetrics(t *testing.T) {
	s := newTestServer(t, Config{Version: "9.9"})
	do(t, s, http.MethodPost, "/predict", mustJSON(t, validRequest(1, 5, 3)))
	do(t, s, http.MethodPost, "/predict", []byte("{"))
	do(t, s, http.MethodPost, "/v2/models/model-d/infer", mustJSON(t, validInfer(1, 1, 5, 3)))
	do(t, s, http.MethodGet, "/nowhere", nil)
	w := do(t, s, http.MethodGet, "/metrics", nil)
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
	}
	body := w.Body.String()
	for _, want := range []string{
		`causeway_http_requests_total{code="200",endpoint="/predict",method="POST"} 1`,
		`causeway_http_requests_total{code="400",endpoint="/predict",method="POST"} 1`,
		`causeway_http_requests_total{code="404",endpoint="other",method="GET"} 1`,
		`causeway_http_errors_total{code="400",endpoint="/predict"} 1`,
		`causeway_http_errors_total{code="404",endpoint="other"} 1`,
		`causeway_model_request_duration_seconds_count{endpoint="/predict",model="model-a"} 1`,
		`causeway_model_request_duration_seconds_count{endpoint="/v2/models/:name/infer",model="model-d"} 1`,
		`causeway_model_inference_duration_seconds_count{model="model-a"} 1`,
		`causeway_http_request_duration_seconds_bucket{endpoint="/predict",le="+Inf"} 2`,
		`causeway_http_requests_in_flight 1`, // this request
		`causeway_inference_queued 0`,
		`causeway_build_info{version="9.9"} 1`,
		`causeway_models_loaded 2`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Each server has its own registry.
	other := newTestServer(t, Config{})
	if strings.Contains(do(t, other, http.MethodGet, "/metrics", nil).Body.String(), `code="400"`) {
		t.Error("a new server sees another server's metrics")
	}
}

func TestNewErrors(t *testing.T) {
	a, d := testModels(t)
	same, err := onnxrt.LoadBytes("model-a", exportBytes(t, smallConfig("B"), "x", 3))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := onnxrt.LoadBytes("bad name", exportBytes(t, smallConfig("B"), "x", 3))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no models"},
		{Config{Models: []*onnxrt.Model{a, same}}, `two models are named "model-a"`},
		{Config{Models: []*onnxrt.Model{bad}}, `model name "bad name"`},
		{Config{Models: []*onnxrt.Model{a, d}, Default: "model-e"}, `default model "model-e" is not loaded (loaded: model-a, model-d)`},
		{Config{Models: []*onnxrt.Model{a}, MaxConcurrency: -1}, "max concurrency"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v): %v, want %q", tc.cfg, err, tc.want)
		}
	}
	s, err := New(Config{Models: []*onnxrt.Model{d, a}})
	if err != nil || s.Default() != "model-d" {
		t.Errorf("default: %v %v", s, err)
	}
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	a := exportBytes(t, smallConfig("A"), "model-a", 1)
	writeModels(t, dir, map[string][]byte{
		"model-a.onnx":              a,
		"repo/model-e/1/model.onnx": exportBytes(t, smallConfig("E"), "model-e", 5),
		"zz-copy.onnx":              a,
		"broken.onnx":               []byte("not a model"),
		"notes.txt":                 []byte("ignored"),
	})
	models, skipped, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range models {
		names = append(names, m.Name())
	}
	if !reflect.DeepEqual(names, []string{"model-a", "model-e"}) {
		t.Errorf("loaded %v", names)
	}
	if len(skipped) != 2 || !strings.HasSuffix(skipped[0].Path, "broken.onnx") ||
		!strings.Contains(skipped[1].Error(), `model name "model-a" is already served from`) {
		t.Errorf("skipped %v", skipped)
	}

	empty := t.TempDir()
	if _, _, err := LoadDir(empty); err == nil || !strings.Contains(err.Error(), "no .onnx files") {
		t.Errorf("empty dir: %v", err)
	}
	junk := t.TempDir()
	writeModels(t, junk, map[string][]byte{"a.onnx": []byte("junk"), "b.onnx": nil})
	_, skipped, err = LoadDir(junk)
	if err == nil || !strings.Contains(err.Error(), "no model under") || !strings.Contains(err.Error(), "a.onnx") ||
		!strings.Contains(err.Error(), "b.onnx") || len(skipped) != 2 {
		t.Errorf("junk dir: %v", err)
	}
	if _, _, err := LoadDir(dir + "/missing"); err == nil {
		t.Error("missing dir loads")
	}
	// A symbolic link to a models directory is followed (the root only;
	// WalkDir follows no link below it).
	link := filepath.Join(t.TempDir(), "models")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	linked, _, err := LoadDir(link)
	if err != nil || len(linked) != 2 {
		t.Errorf("symlinked dir: %d models, %v", len(linked), err)
	}
}

// TestServeGracefulShutdown runs Serve on loopback, cancels it while a
// request is in flight, and checks that the request completes, readiness
// turns 503 meanwhile, and Serve returns nil.
func TestServeGracefulShutdown(t *testing.T) {
	s := newTestServer(t, Config{Timeout: 5 * time.Second})
	inside, release := make(chan struct{}), make(chan struct{})
	s.echo.POST("/test/slow", func(c echo.Context) error {
		return s.run(c, func(context.Context) error {
			close(inside)
			<-release
			return nil
		})
	}, s.limit)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Timeout: 10 * time.Second}
	slow := make(chan error, 1)
	go func() {
		resp, err := client.Post(base+"/test/slow", "application/json", nil)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
		}
		slow <- err
	}()
	<-inside
	cancel()
	for deadline := time.Now().Add(5 * time.Second); s.ready.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("still ready after cancel")
		}
	}
	if w := do(t, s, http.MethodGet, "/v2/health/ready", nil); w.Code != http.StatusServiceUnavailable {
		t.Errorf("ready while draining: %d", w.Code)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned with a request in flight: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-slow; err != nil {
		t.Errorf("in-flight request: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if _, err := client.Get(base + "/v2/health/live"); err == nil {
		t.Error("still accepting connections after shutdown")
	}
	if !errors.Is(context.Cause(ctx), context.Canceled) {
		t.Error("context")
	}
}

// TestServeShutdownKeptAlive runs Serve on loopback under keep-alive
// clients sending requests back to back, cancels it, and requires that no
// request fails without a response (a reset or EOF on a kept-alive
// connection) at any drain: before the drain ends every request is
// answered, and afterwards new connections are refused.
func TestServeShutdownKeptAlive(t *testing.T) {
	for _, drain := range []time.Duration{0, 200 * time.Millisecond} {
		s := newTestServer(t, Config{Timeout: 5 * time.Second, Drain: drain})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- s.Serve(ctx, ln) }()
		url := "http://" + ln.Addr().String() + "/v2"
		tr := &http.Transport{MaxIdleConnsPerHost: 8}
		var answered, failed atomic.Int64
		var firstErr atomic.Value
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
				for {
					resp, err := client.Post(url, "application/json", nil) // POST: the transport does not retry it
					if errors.Is(err, syscall.ECONNREFUSED) {
						return
					}
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err)
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					answered.Add(1)
				}
			})
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
		if err := <-served; err != nil {
			t.Errorf("drain %s: Serve: %v", drain, err)
		}
		wg.Wait()
		tr.CloseIdleConnections()
		if failed.Load() > 0 || answered.Load() == 0 {
			t.Errorf("drain %s: %d answered, %d failed without a response (first: %v)", drain, answered.Load(), failed.Load(), firstErr.Load())
		}
	}
}
