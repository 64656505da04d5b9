package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"causeway/export"
	"causeway/model"
	"causeway/onnxfile"
)

// writeTestCheckpoint writes a small Model A checkpoint directory.
func writeTestCheckpoint(t *testing.T, dir string) model.Config {
	t.Helper()
	c := model.DefaultConfig(model.VariantA)
	c.DModel, c.FF, c.Layers = 16, 32, 1
	p, err := model.Init(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	ck := &model.Checkpoint{Config: c, Params: p, Step: 250, Seed: 7, Version: "test"}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := model.SaveCheckpoint(dir, ck); err != nil {
		t.Fatal(err)
	}
	return c
}

func runApp(args ...string) (string, error) {
	var out bytes.Buffer
	app := NewApp(testVersion)
	app.Writer, app.ErrWriter = &out, &out
	err := app.Run(append([]string{"causeway"}, args...))
	return out.String(), err
}

func TestExportCommand(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "models", "run-a")
	writeTestCheckpoint(t, ckpt)
	out := filepath.Join(dir, "models", "model-a.onnx")
	repo := filepath.Join(dir, "triton")
	stdout, err := runApp("export", "--checkpoint", ckpt, "--out", out, "--triton-repo", repo)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, stdout)
	}
	for _, want := range []string{"exported model-a: variant A,", "parameters", "nodes of", "op types", "bytes -> " + out, "also wrote " + filepath.Join(repo, "model-a", "config.pbtxt")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	m, err := export.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	props := onnxfile.Props(m)
	if props[onnxfile.PropName] != "model-a" || props[onnxfile.PropTrainingSteps] != "250" || props[onnxfile.PropSeed] != "7" || props[onnxfile.PropVersion] != testVersion {
		t.Errorf("metadata %v", props)
	}
	if _, err := os.Stat(filepath.Join(repo, "model-a", "1", "model.onnx")); err != nil {
		t.Error(err)
	}

	// --name overrides the file name.
	if _, err := runApp("export", "--checkpoint", ckpt, "--out", filepath.Join(dir, "x.onnx"), "--name", "causal-a"); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(filepath.Join(dir, "x.onnx"))
	if m, err := export.Unmarshal(data); err != nil || m.GetGraph().GetName() != "causal-a" {
		t.Errorf("--name: graph %q, %v", m.GetGraph().GetName(), err)
	}
}

func TestExportCommandErrors(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "run-a")
	writeTestCheckpoint(t, ckpt)
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	if err := os.WriteFile(corrupt, []byte("definitely not safetensors"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out", "m.onnx") // "out" does not exist
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--checkpoint", filepath.Join(dir, "nope"), "--out", filepath.Join(dir, "m.onnx")}, "does not exist"},
		{[]string{"--checkpoint", corrupt, "--out", filepath.Join(dir, "m.onnx")}, "safetensors: read"},
		{[]string{"--checkpoint", ckpt, "--out", out}, "does not exist"},
		{[]string{"--checkpoint", ckpt, "--out", filepath.Join(dir, "m.onnx"), "--name", "a/b"}, "--name"},
		{[]string{"--checkpoint", ckpt, "--out", filepath.Join(dir, "m.onnx"), "--triton-repo", filepath.Join(corrupt, "repo")}, "not a directory"},
		{[]string{"--checkpoint", ckpt}, `"out"`},
	} {
		_, err := runApp(append([]string{"export"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "corrupt.safetensors run-a" {
		t.Errorf("a failed export left files behind: %v", names)
	}
}
