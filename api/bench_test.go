package api

import (
	"context"
	"errors"
	"io/fs"
	"runtime"
	"testing"

	"causeway/export"
	"causeway/model"
	"causeway/onnxrt"
	"causeway/onnxrt/onnxrttest"
	"causeway/scm"
)

// benchModel loads the shipped export of variant v from ../models, or a
// freshly initialised default-size one (the cost does not depend on the
// weights).
func benchModel(b *testing.B, v model.Variant, file string) *onnxrt.Model {
	b.Helper()
	if m, err := onnxrt.Load("../models/" + file); err == nil {
		return m
	} else if !errors.Is(err, fs.ErrNotExist) {
		b.Logf("%s: %v; using fresh weights", file, err)
	}
	m, err := onnxrttest.Model(file, model.DefaultConfig(v), 1, export.Metadata{Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkPredictData times `causeway predict --data`'s prediction on the
// scm defaults' data set (N = 20, 100 observational rows and 30 blocks of
// 100: 3,100 rows): Model F on every row jointly, with the effects of the
// 30 interventions, and Model A on each block (its way of reading a data
// set), in one run. Run with -cpu 1 for the one-core figure.
func BenchmarkPredictData(b *testing.B) {
	d, err := scm.NewDataset(scm.DefaultConfig(), 7, 0)
	if err != nil {
		b.Fatal(err)
	}
	f := benchModel(b, model.VariantF, "model-f.onnx")
	a := benchModel(b, model.VariantA, "model-a.onnx")
	req := &DataRequest{Data: FromDataset(d)}
	ctx := context.Background()
	b.Run("model-f", func(b *testing.B) {
		b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
		for b.Loop() {
			if _, err := PredictData(ctx, f, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("model-a-blocks", func(b *testing.B) {
		for b.Loop() {
			if _, err := PredictDataset(ctx, a, d, DefaultThreshold); err != nil {
				b.Fatal(err)
			}
		}
	})
}
