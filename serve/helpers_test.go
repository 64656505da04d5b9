package serve

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"causeway/api"
	"causeway/export"
	"causeway/model"
	"causeway/onnxrt"
	"causeway/onnxrt/onnxrttest"
)

// testMaxNodes is the max_nodes of the test models.
const testMaxNodes = 8

// smallConfig is a tiny architecture of variant v, fast enough for many
// requests.
func smallConfig(v model.Variant) model.Config {
	c := model.DefaultConfig(v)
	c.DModel, c.FF, c.Layers, c.StructLayers, c.MaxNodes = 16, 32, 1, 1, testMaxNodes
	c.HyperDim, c.HyperHidden = 4, 8
	return c
}

// exportBytes exports a freshly initialised model as .onnx bytes.
func exportBytes(t testing.TB, c model.Config, name string, seed uint64) []byte {
	t.Helper()
	return onnxrttest.MustBytes(t, c, seed, export.Metadata{Name: name, Version: "test", Steps: 42, Seed: seed})
}

var (
	modelsOnce       sync.Once
	modelsA, modelsD *onnxrt.Model
)

// testModels returns two small models, model-a (variant A) and model-d
// (variant D), shared by the tests (a Model is safe for concurrent use).
func testModels(t testing.TB) (a, d *onnxrt.Model) {
	t.Helper()
	modelsOnce.Do(func() {
		var err error
		if modelsA, err = onnxrt.LoadBytes("", exportBytes(t, smallConfig(model.VariantA), "model-a", 1)); err != nil {
			t.Fatal(err)
		}
		if modelsD, err = onnxrt.LoadBytes("", exportBytes(t, smallConfig(model.VariantD), "model-d", 2)); err != nil {
			t.Fatal(err)
		}
	})
	if modelsA == nil {
		t.Fatal("test models failed to load")
	}
	return modelsA, modelsD
}

// newTestServer serves the two test models (model-a the default) with cfg's
// other settings.
func newTestServer(t testing.TB, cfg Config) *Server {
	t.Helper()
	a, d := testModels(t)
	if cfg.Models == nil {
		cfg.Models = []*onnxrt.Model{a, d}
	}
	if cfg.Version == "" {
		cfg.Version = "test-version"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// matrix returns s rows of n standard-normal values shifted by the column.
func matrix(rng *rand.Rand, s, n int) [][]float64 {
	m := make([][]float64, s)
	for i := range m {
		m[i] = make([]float64, n)
		for j := range m[i] {
			m[i][j] = rng.NormFloat64() + float64(j)
		}
	}
	return m
}

// validRequest is a valid /predict request with S samples of N variables.
func validRequest(seed uint64, s, n int) *api.Request {
	rng := rand.New(rand.NewPCG(seed, uint64(s*100+n)))
	return &api.Request{BaseSamples: matrix(rng, s, n), IntSamples: matrix(rng, s, n), IntervenedNode: &api.Node{Index: n - 1}}
}

// validInfer is a valid OIP infer request with B elements.
func validInfer(seed uint64, b, s, n int) *api.InferRequest {
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
	return &api.InferRequest{ID: "req-1", Inputs: []api.InferInput{
		{Name: "base_samples", Datatype: "FP32", Shape: []int{b, s, n}, Data: vals(b * s * n)},
		{Name: "int_samples", Datatype: "FP32", Shape: []int{b, s, n}, Data: vals(b * s * n)},
		{Name: "target_row", Datatype: "FP32", Shape: []int{b, n}, Data: vals(b * n)},
		{Name: "int_mask", Datatype: "FP32", Shape: []int{b, n}, Data: mask},
	}}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// do sends one request to s and returns the recorded response.
func do(t testing.TB, h http.Handler, method, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// writeModels writes .onnx files into dir: name → bytes.
func writeModels(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// logBuffer is a concurrency-safe sink for a JSON slog handler.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// records returns the logged records.
func (l *logBuffer) records(t testing.TB) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	dec := json.NewDecoder(bytes.NewReader(l.buf.Bytes()))
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewJSONHandler(l, nil)) }
