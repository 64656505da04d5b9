package model

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ckptConfig(v Variant) Config {
	c := DefaultConfig(v)
	c.DModel, c.Heads, c.Layers, c.StructLayers, c.FF, c.MaxNodes = 8, 2, 1, 1, 16, 6
	return c
}

func TestCheckpointRoundTrip(t *testing.T) {
	for _, v := range Variants {
		t.Run(string(v), func(t *testing.T) {
			c := ckptConfig(v)
			p, err := Init(c, 3)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string][]float32{}
			for name, tn := range p {
				m[name] = make([]float32, len(tn.Data))
				m[name][0] = 0.25
			}
			ck := &Checkpoint{Config: c, Params: p, Step: 17, Seed: 99, Moment: m, Velocity: m,
				Training: json.RawMessage(`{"lr":0.001}`), Version: "test"}
			dir := t.TempDir()
			if err := SaveCheckpoint(dir, ck); err != nil {
				t.Fatal(err)
			}
			got, err := LoadCheckpoint(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got.Config != c || got.Step != 17 || got.Seed != 99 || got.Version != "test" || string(got.Training) != `{"lr":0.001}` {
				t.Fatalf("metadata did not round-trip: %+v", got)
			}
			for name, tn := range p {
				g := got.Params[name]
				for i := range tn.Data {
					if g.Data[i] != tn.Data[i] {
						t.Fatalf("%s[%d] = %v, want %v (bit-identical)", name, i, g.Data[i], tn.Data[i])
					}
				}
				if got.Moment[name][0] != 0.25 || got.Velocity[name][0] != 0.25 {
					t.Fatalf("optimiser state of %s lost", name)
				}
			}
		})
	}
}

func TestLoadCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	c := ckptConfig(VariantA)
	p, _ := Init(c, 1)
	good := filepath.Join(dir, "good.safetensors")
	if err := SaveCheckpoint(good, &Checkpoint{Config: c, Params: p}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	os.WriteFile(corrupt, raw[:len(raw)/2], 0o644)
	garbage := filepath.Join(dir, "garbage.safetensors")
	os.WriteFile(garbage, []byte("not a checkpoint at all"), 0o644)
	tests := []struct{ name, path, want string }{
		{"missing", filepath.Join(dir, "nope"), "does not exist"},
		{"truncated", corrupt, "corrupt.safetensors"},
		{"garbage", garbage, "garbage.safetensors"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadCheckpoint(tc.path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCompatible(t *testing.T) {
	a, d := ckptConfig(VariantA), ckptConfig(VariantD)
	if err := Compatible(a, a); err != nil {
		t.Fatal(err)
	}
	if err := Compatible(a, d); err == nil || !strings.Contains(err.Error(), "Model D") {
		t.Fatalf("variant mismatch: %v", err)
	}
	wider := a
	wider.DModel = 16
	if err := Compatible(a, wider); err == nil || !strings.Contains(err.Error(), "differs") {
		t.Fatalf("size mismatch: %v", err)
	}
}

func TestInitIsSeededAndChecked(t *testing.T) {
	c := ckptConfig(VariantE)
	p1, _ := Init(c, 5)
	p2, _ := Init(c, 5)
	p3, _ := Init(c, 6)
	same, diff := true, false
	for name := range p1 {
		for i := range p1[name].Data {
			same = same && p1[name].Data[i] == p2[name].Data[i]
			diff = diff || p1[name].Data[i] != p3[name].Data[i]
		}
	}
	if !same || !diff {
		t.Fatalf("same seed identical: %v, other seed differs: %v", same, diff)
	}
	if err := p1.Check(c); err != nil {
		t.Fatal(err)
	}
	delete(p1, "hyper/int_embedding")
	if err := p1.Check(c); err == nil {
		t.Fatal("Check accepted a missing parameter")
	}
}
