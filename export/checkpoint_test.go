package export

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"causeway/model"
	"causeway/safetensors"
)

// saveCheckpoint writes p and c as a checkpoint at path (a run directory or
// a file) with Adam moments, as training does.
func saveCheckpoint(t *testing.T, path string, c model.Config, p model.Params) {
	t.Helper()
	ck := &model.Checkpoint{Config: c, Params: p, Step: 1234, Seed: 99, Version: "test",
		Moment: map[string][]float32{}, Velocity: map[string][]float32{}}
	for name, v := range p {
		ck.Moment[name] = make([]float32, len(v.Data))
		ck.Velocity[name] = make([]float32, len(v.Data))
	}
	if err := model.SaveCheckpoint(path, ck); err != nil {
		t.Fatal(err)
	}
}

// editCheckpoint rewrites the checkpoint file at path through edit.
func editCheckpoint(t *testing.T, path string, edit func(map[string]safetensors.Tensor, map[string]string)) {
	t.Helper()
	tensors, meta, err := safetensors.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit(tensors, meta)
	if err := safetensors.WriteFile(path, tensors, meta); err != nil {
		t.Fatal(err)
	}
}

func TestLoadParams(t *testing.T) {
	c := smallConfig(model.VariantD, false)
	p, err := model.Init(c, 8)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "run-d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	saveCheckpoint(t, dir, c, p)
	for _, path := range []string{dir, filepath.Join(dir, model.CheckpointFile)} {
		gc, gp, meta, err := LoadParams(path)
		if err != nil {
			t.Fatal(err)
		}
		if gc != c || meta.Steps != 1234 || meta.Seed != 99 {
			t.Errorf("%s: config %+v, meta %+v", path, gc, meta)
		}
		if len(gp) != len(p) {
			t.Fatalf("%d parameters, want %d", len(gp), len(p))
		}
		for name, v := range p {
			for i := range v.Data {
				if gp[name].Data[i] != v.Data[i] {
					t.Fatalf("%s[%d] = %g, want %g", name, i, gp[name].Data[i], v.Data[i])
				}
			}
		}
	}
}

func TestLoadParamsErrors(t *testing.T) {
	c := smallConfig(model.VariantA, false)
	p, err := model.Init(c, 8)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.safetensors")
	if err := os.WriteFile(garbage, []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.safetensors")
	saveCheckpoint(t, truncated, c, p)
	data, _ := os.ReadFile(truncated)
	if err := os.WriteFile(truncated, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	edits := map[string]func(map[string]safetensors.Tensor, map[string]string){
		"variant-g": func(_ map[string]safetensors.Tensor, m map[string]string) {
			m["config"] = strings.Replace(m["config"], `"A"`, `"G"`, 1)
		},
		"missing": func(ts map[string]safetensors.Tensor, _ map[string]string) { delete(ts, "layer1/norm2/bias") },
		"wrong-shape": func(ts map[string]safetensors.Tensor, _ map[string]string) {
			ts["dag/child/bias"] = safetensors.FromFloat32([]int{2, 8}, make([]float32, 16))
		},
		"nan": func(ts map[string]safetensors.Tensor, _ map[string]string) {
			v := make([]float32, 16)
			v[3] = float32(math.NaN())
			ts["dag/child/bias"] = safetensors.FromFloat32([]int{16}, v)
		},
	}
	for name, edit := range edits {
		path := filepath.Join(dir, name+".safetensors")
		saveCheckpoint(t, path, c, p)
		// A crafted file without the tensors' checksum (an attacker can
		// drop it): the structural checks must still refuse it.
		editCheckpoint(t, path, func(ts map[string]safetensors.Tensor, m map[string]string) {
			edit(ts, m)
			delete(m, "tensors_sha256")
		})
	}
	// Flipped bytes in the tensor data, the header untouched.
	flipped := filepath.Join(dir, "flipped.safetensors")
	saveCheckpoint(t, flipped, c, p)
	data, _ = os.ReadFile(flipped)
	data[len(data)-5] ^= 0x40
	if err := os.WriteFile(flipped, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "nope"), "does not exist"},
		{empty, "does not exist"},
		{garbage, "safetensors"},
		{truncated, "safetensors"},
		{filepath.Join(dir, "variant-g.safetensors"), "unknown variant"},
		{filepath.Join(dir, "missing.safetensors"), "parameter"},
		{filepath.Join(dir, "wrong-shape.safetensors"), "shape [2 8]"},
		{filepath.Join(dir, "nan.safetensors"), "non-finite"},
		{flipped, "do not match the checksum"},
		{"", "no checkpoint"},
	} {
		_, _, _, err := LoadParams(tc.path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to mention %q", tc.path, err, tc.want)
		}
	}
}
