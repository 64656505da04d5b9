package export

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"causeway/model"
	"causeway/onnxfile"
)

// listFiles returns every file and directory under dir, relative to it.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTritonConfig(t *testing.T) {
	got := TritonConfig("model-a", false)
	for _, want := range []string{
		`name: "model-a"`,
		`platform: "onnxruntime_onnx"`,
		"max_batch_size: 0",
		"input [\n  {\n    name: \"base_samples\"\n    data_type: TYPE_FP32\n    dims: [ -1, -1, -1 ]\n  },",
		"    name: \"int_samples\"\n    data_type: TYPE_FP32\n    dims: [ -1, -1, -1 ]",
		"    name: \"target_row\"\n    data_type: TYPE_FP32\n    dims: [ -1, -1 ]",
		"    name: \"int_mask\"\n    data_type: TYPE_FP32\n    dims: [ -1, -1 ]\n  }\n]\n",
		"output [\n  {\n    name: \"delta\"\n    data_type: TYPE_FP32\n    dims: [ -1, -1 ]\n  },",
		"    name: \"adj_logits\"\n    data_type: TYPE_FP32\n    dims: [ -1, -1, -1 ]\n  }\n]\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("config.pbtxt lacks %q:\n%s", want, got)
		}
	}
	if strings.Count(got, "name:") != 7 || strings.Count(got, "{") != 6 || strings.Count(got, "{") != strings.Count(got, "}") {
		t.Errorf("config.pbtxt is malformed:\n%s", got)
	}
}

func TestWriteRepository(t *testing.T) {
	m, _ := build(t, smallConfig(model.VariantB, false), Metadata{Name: "b-small"})
	dir := t.TempDir()
	out := filepath.Join(dir, "b.onnx")
	repo := filepath.Join(dir, "repo", "nested")
	files, err := Write(m, Target{Path: out, TritonRepo: repo, Name: "b-small"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{out, filepath.Join(repo, "b-small", "1", "model.onnx"), filepath.Join(repo, "b-small", "config.pbtxt")}
	if strings.Join(files, "|") != strings.Join(want, "|") {
		t.Errorf("wrote %v, want %v", files, want)
	}
	data, _ := Marshal(m)
	for _, f := range want[:2] {
		got, err := os.ReadFile(f)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %v, %d bytes (want the model's %d)", f, err, len(got), len(data))
		}
	}
	cfg, _ := os.ReadFile(want[2])
	if string(cfg) != TritonConfig("b-small", false) {
		t.Errorf("config.pbtxt:\n%s", cfg)
	}
	if got := listFiles(t, dir); len(got) != 7 { // b.onnx repo repo/nested .../b-small .../1 model.onnx config.pbtxt
		t.Errorf("files under the output directory: %v (temporary files left?)", got)
	}
}

func TestWriteAllOrNothing(t *testing.T) {
	m, _ := build(t, smallConfig(model.VariantA, false), Metadata{})
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		t    Target
		want string
	}{
		{"out directory missing", Target{Path: filepath.Join(dir, "missing", "m.onnx")}, "does not exist"},
		{"out under a file", Target{Path: filepath.Join(blocker, "m.onnx")}, "not a directory"},
		{"out is a directory", Target{Path: dir}, "is a directory"},
		{"repository under a file", Target{Path: filepath.Join(dir, "m.onnx"), TritonRepo: filepath.Join(blocker, "repo"), Name: "m"}, "not a directory"},
		{"bad repository name", Target{Path: filepath.Join(dir, "m.onnx"), TritonRepo: filepath.Join(dir, "repo"), Name: "../m"}, "model name"},
		{"nowhere", Target{}, "no output path"},
	} {
		_, err := Write(m, tc.t)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.name, err, tc.want)
		}
		if got := listFiles(t, dir); len(got) != 1 || got[0] != "file" {
			t.Fatalf("%s: left behind %v", tc.name, got)
		}
	}
	// The repository's model directory exists as a file: the .onnx file,
	// written first in order, must not appear either.
	repo := filepath.Join(dir, "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "m"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(m, Target{Path: filepath.Join(dir, "m.onnx"), TritonRepo: repo, Name: "m"}); err == nil {
		t.Fatal("wrote into a repository whose model directory is a file")
	}
	if got := listFiles(t, dir); len(got) != 3 { // file, repo, repo/m
		t.Fatalf("left behind %v", got)
	}
}

func TestWriteFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, _ := build(t, smallConfig(model.VariantC, false), Metadata{})
	if err := WriteFile(out, m); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	back, err := Unmarshal(data)
	if err != nil || onnxfile.Props(back)[onnxfile.PropVariant] != "C" {
		t.Fatalf("replaced file does not hold the model: %v", err)
	}
	if got := listFiles(t, dir); len(got) != 1 {
		t.Fatalf("files: %v", got)
	}
}

func TestDefaultName(t *testing.T) {
	c := model.DefaultConfig(model.VariantE)
	for path, want := range map[string]string{
		"models/model-a.onnx": "model-a",
		"x/run.v2.onnx":       "run.v2",
		"":                    "model-e",
		"models/ bad .onnx":   "model-e",
	} {
		if got := DefaultName(path, c); got != want {
			t.Errorf("DefaultName(%q) = %q, want %q", path, got, want)
		}
	}
}
