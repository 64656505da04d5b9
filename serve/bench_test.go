package serve

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"causeway/model"
	"causeway/onnxrt"
)

// BenchmarkPredict times, at N=20 and S=100, the executor alone and the
// whole /predict handler (decode, validate, run, encode; no network) on a
// default-size model A, and both on a tiny model, where the handler's own
// cost dominates.
func BenchmarkPredict(b *testing.B) {
	tiny := smallConfig(model.VariantA)
	tiny.MaxNodes = 50
	req := validRequest(1, 100, 20)
	in, err := req.Inputs()
	if err != nil {
		b.Fatal(err)
	}
	body := mustJSON(b, req)
	for _, tc := range []struct {
		name string
		cfg  model.Config
	}{{"default", model.DefaultConfig(model.VariantA)}, {"tiny", tiny}} {
		m, err := onnxrt.LoadBytes("model-a", exportBytes(b, tc.cfg, "model-a", 1))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name+"/executor", func(b *testing.B) {
			for b.Loop() {
				if _, err := m.Run(in); err != nil {
					b.Fatal(err)
				}
			}
		})
		s, err := New(Config{Models: []*onnxrt.Model{m}})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name+"/handler", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(body))
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatal(w.Code, w.Body)
				}
			}
		})
	}
}
