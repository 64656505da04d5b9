package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"causeway/models"

	"causeway/model"
	"causeway/onnxrt"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"8MiB", 8 << 20}, {"8mib", 8 << 20}, {"512KiB", 512 << 10}, {"1MB", 1e6}, {"2 GiB", 2 << 30},
		{"1048576", 1 << 20}, {"100B", 100}, {"1.5KiB", 1536}, {"64k", 64 << 10},
	} {
		if got, err := parseSize(tc.in); err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "MiB", "-1MiB", "0", "8XB", "1e3", "2TiB", "0.1B"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}

// TestServeCommandRefusesToStart checks the errors serve stops with before
// it listens.
func TestServeCommandRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	models := filepath.Join(dir, "models")
	if err := os.Mkdir(models, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestModel(t, models, model.VariantA, 10)
	empty := filepath.Join(dir, "empty")
	junk := filepath.Join(dir, "junk")
	for _, d := range []string{empty, junk} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(junk, "model-x.onnx"), []byte("not onnx"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		// No --models: the embedded default loads, then the bad address stops it.
		{[]string{"--addr", "256.1.1.1:99999"}, "--addr"},
		{[]string{"--models", empty}, "no .onnx files under " + empty},
		{[]string{"--models", junk}, "no model under " + junk + " loads"},
		{[]string{"--models", filepath.Join(dir, "missing")}, "models directory"},
		{[]string{"--models", models, "--default", "model-e"}, `default model "model-e" is not loaded (loaded: model-a)`},
		{[]string{"--models", models, "--max-body", "lots"}, "--max-body"},
		{[]string{"--models", models, "--max-concurrency", "0"}, "--max-concurrency 0"},
		{[]string{"--models", models, "--timeout", "0s"}, "--timeout"},
		{[]string{"--models", models, "--log-format", "xml"}, "--log-format"},
		{[]string{"--models", models, "--addr", "256.1.1.1:99999"}, "--addr"},
		{[]string{"--models", models, "extra"}, `unexpected argument "extra"`},
		{[]string{"--models", models, "--max-model-size", "huge"}, "--max-model-size"},
		{[]string{"--models", models, "--model-load-timeout", "0s"}, "--model-load-timeout 0s: want a positive duration"},
		{[]string{"--models", models, "--max-model-size", "1KiB"}, "over the limit of 1 KiB (1024 bytes) (causeway serve --max-model-size)"},
		{[]string{"--models", models, "--model-load-timeout", "1ns"}, "loading took longer than 1ns, so the file is skipped (causeway serve --model-load-timeout)"},
	} {
		out, err := runApp(append([]string{"serve"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %v: %v, want %q\n%s", tc.args, err, tc.want, out)
		}
	}
	// A junk file beside a good model is skipped with a warning.
	if err := os.WriteFile(filepath.Join(models, "broken.onnx"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runApp("serve", "--models", models, "--addr", "256.1.1.1:99999")
	if err == nil || !strings.Contains(out, "skipping a model file") || !strings.Contains(out, "broken.onnx") {
		t.Errorf("junk beside a model: %v\n%s", err, out)
	}
}

// TestServeCommandMaxModelSize: a model file over --max-model-size is
// skipped with a warning naming the file, the limit and the flag, and
// serve starts with the model under the limit.
func TestServeCommandMaxModelSize(t *testing.T) {
	dir := t.TempDir()
	small := writeTestModel(t, dir, model.VariantA, 10)
	big := writeTestModel(t, dir, model.VariantD, 40)
	ss, err := os.Stat(small)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := os.Stat(big)
	if err != nil {
		t.Fatal(err)
	}
	if bs.Size() <= ss.Size() {
		t.Fatalf("%s has %d bytes, %s %d: want the second larger", small, ss.Size(), big, bs.Size())
	}
	limit := fmt.Sprint(ss.Size())
	out, err := runApp("serve", "--models", dir, "--max-model-size", limit, "--addr", "256.1.1.1:99999")
	if err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Fatalf("serve stopped with %v, want it to get as far as the bad --addr\n%s", err, out)
	}
	for _, want := range []string{"skipping a model file", big, "over the limit of " + limit + " bytes", "--max-model-size"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "skipping") != 1 {
		t.Errorf("the small model was skipped too:\n%s", out)
	}
}

// TestServeCommandDefaultModels: without --models serve asks defaultModels,
// which by default loads the models embedded in the binary: the sample-pair
// default first, then the data-set model.
func TestServeCommandDefaultModels(t *testing.T) {
	embedded, err := defaultModels()
	if err != nil || len(embedded) != 2 || embedded[0].Name() != models.DefaultName || embedded[1].Name() != models.DataSetName || !embedded[1].DataSet() {
		t.Fatalf("embedded defaults: %v, %v", embedded, err)
	}
	path := writeTestModel(t, t.TempDir(), model.VariantB, 10)
	saved := defaultModels
	defer func() { defaultModels = saved }()
	called := false
	defaultModels = func() ([]*onnxrt.Model, error) {
		called = true
		m, err := onnxrt.Load(path)
		return []*onnxrt.Model{m}, err
	}
	out, err := runApp("serve", "--addr", "256.1.1.1:99999")
	if !called || err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("called %v, err %v\n%s", called, err, out)
	}
}
