package onnxrt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/advancedclimatesystems/gonnx/onnx"

	"causeway/export"
	"causeway/model"
	"causeway/model/modeltest"
	"causeway/onnxfile"
)

// TestCraftedModels loads model files an attacker could craft: every one
// must be refused with an error naming the problem, and none may panic.
func TestCraftedModels(t *testing.T) {
	base := func(t *testing.T, c model.Config) *onnx.ModelProto {
		p, err := model.Init(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		m, err := export.Build(c, p, export.Metadata{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	initializer := func(m *onnx.ModelProto, name string) *onnx.TensorProto {
		for _, t := range m.GetGraph().GetInitializer() {
			if t.GetName() == name {
				return t
			}
		}
		return nil
	}
	setConfig := func(m *onnx.ModelProto, edit func(string) string) {
		for _, kv := range m.MetadataProps {
			if kv.Key == onnxfile.PropConfig {
				kv.Value = edit(kv.Value)
			}
		}
	}
	cases := []struct {
		name, want string
		cfg        model.Config
		edit       func(m *onnx.ModelProto)
	}{
		{"huge weight dims without data", "shape", modeltest.SmallConfig(model.VariantA, false), func(m *onnx.ModelProto) {
			w := initializer(m, "dag/child/weight")
			w.Dims, w.RawData = []int64{1 << 62, 4}, nil
		}},
		{"huge constant dims without data", "more than", modeltest.SmallConfig(model.VariantA, false), func(m *onnx.ModelProto) {
			w := initializer(m, "const/sqrt2")
			w.Dims, w.RawData = []int64{1 << 62, 4}, nil
		}},
		{"constant dims whose product wraps to 0", "more than", modeltest.SmallConfig(model.VariantA, false), func(m *onnx.ModelProto) {
			w := initializer(m, "const/sqrt2")
			w.Dims, w.RawData = []int64{1 << 32, 1 << 32}, nil
		}},
		{"swapped weight dims", "shape", modeltest.SmallConfig(model.VariantA, false), func(m *onnx.ModelProto) {
			w := initializer(m, "delta_head/linear2/weight")
			w.Dims[0], w.Dims[1] = w.Dims[1], w.Dims[0]
		}},
		{"forged max_nodes", "encoder/pos_emb", modeltest.SmallConfig(model.VariantA, false), func(m *onnx.ModelProto) {
			setConfig(m, func(s string) string { return strings.Replace(s, `"max_nodes":50`, `"max_nodes":1000000000`, 1) })
		}},
		{"forged max_nodes of a data-set model", "const/eye", modeltest.SmallDataSetConfig(), func(m *onnx.ModelProto) {
			setConfig(m, func(s string) string { return strings.Replace(s, `"max_nodes":100`, `"max_nodes":1000000000`, 1) })
		}},
		{"missing weight", "missing", modeltest.SmallDataSetConfig(), func(m *onnx.ModelProto) {
			g := m.GetGraph()
			for i, t := range g.Initializer {
				if t.GetName() == "edge_head/weight" {
					g.Initializer = append(g.Initializer[:i], g.Initializer[i+1:]...)
					break
				}
			}
		}},
		{"data-set model relabelled A", "", modeltest.SmallDataSetConfig(), func(m *onnx.ModelProto) {
			setConfig(m, func(s string) string { return strings.Replace(s, `"variant":"F"`, `"variant":"A"`, 1) })
		}},
		{"short raw data", "bytes of raw data", modeltest.SmallDataSetConfig(), func(m *onnx.ModelProto) {
			w := initializer(m, "edge_head/weight")
			w.RawData = w.RawData[:len(w.RawData)-4]
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := base(t, tc.cfg)
			tc.edit(m)
			b, err := export.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			_, err = LoadBytes("crafted", b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Truncations and garbage of a good file.
	good, err := export.Marshal(base(t, modeltest.SmallDataSetConfig()))
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 1, 17, len(good) / 3, len(good) - 1} {
		if _, err := LoadBytes("cut", good[:cut]); err == nil {
			t.Errorf("a file cut at %d of %d bytes loaded", cut, len(good))
		}
	}
}

// TestLoadRefusesSpecialFiles: a FIFO, a symbolic link to a device and a
// directory are refused at once (never opened, so nothing blocks or
// streams), naming the problem.
func TestLoadRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.onnx")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	zero := filepath.Join(dir, "zero.onnx")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "dir.onnx")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{fifo, zero, sub} {
		done := make(chan error, 1)
		go func() { _, err := Load(p); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("%s: error %v, want one saying not a regular file", p, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Load still blocked after 10 s", p)
		}
	}
}

// TestLoadContextLimits: LoadContext refuses a file over
// LoadOptions.MaxFileBytes with ErrFileTooLarge and the limit in the
// message, loads one exactly at the limit, and stops with the context's
// error when the context has ended.
func TestLoadContextLimits(t *testing.T) {
	c := modeltest.SmallConfig(model.VariantA, false)
	p, err := model.Init(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := export.Build(c, p, export.Metadata{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "small.onnx")
	if err := export.WriteFile(path, mp); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	size := st.Size()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), -time.Second)
	defer cancel2()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		limit   int64
		wantErr error  // nil: the model loads
		want    string // in the error
	}{
		{"default limit", context.Background(), 0, nil, ""},
		{"exactly at the limit", context.Background(), size, nil, ""},
		{"one byte over", context.Background(), size - 1, ErrFileTooLarge, fmt.Sprintf("has %d bytes, over the limit of %d bytes", size, size-1)},
		{"KiB limit", context.Background(), 1 << 10, ErrFileTooLarge, "over the limit of 1 KiB (1024 bytes)"},
		{"cancelled", cancelled, 0, context.Canceled, "load stopped before parsing"},
		{"deadline passed", expired, 0, context.DeadlineExceeded, "load stopped"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := LoadContext(tc.ctx, path, LoadOptions{MaxFileBytes: tc.limit})
			if tc.wantErr == nil {
				if err != nil || m.MaxNodes() != c.MaxNodes {
					t.Fatalf("load: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %v; want one wrapping %v, naming %s and containing %q", err, tc.wantErr, path, tc.want)
			}
		})
	}
}

// TestSmokeRunStopsWithContext: a context that ends during a load stops
// the smoke run between nodes (the load does not run on to its end).
func TestSmokeRunStopsWithContext(t *testing.T) {
	b, err := export.Marshal(func() *onnx.ModelProto {
		c := modeltest.SmallConfig(model.VariantA, false)
		p, err := model.Init(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := export.Build(c, p, export.Metadata{Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return mp
	}())
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("m", b)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := m.smokeTest(ctx); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped before node") {
		t.Fatalf("smoke run with an ended context: %v, want it stopped before a node", err)
	}
	if err := m.smokeTest(context.Background()); err != nil {
		t.Fatalf("smoke run: %v", err)
	}
}
