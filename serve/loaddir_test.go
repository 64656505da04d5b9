package serve

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"causeway/onnxrt"
)

// TestLoadDirBounds: a model file that loads slower than
// LoadOptions.Timeout, one over LoadOptions.MaxFileBytes and one on which
// the loader panics are each skipped with an error naming the file and
// the flag, the abandoned slow load sees its context end, and the server
// built from the rest answers requests.
func TestLoadDirBounds(t *testing.T) {
	dir := t.TempDir()
	small := exportBytes(t, smallConfig("A"), "model-a", 1)
	big := exportBytes(t, smallConfig("D"), "model-big", 2)
	if len(big) <= len(small) {
		t.Fatalf("the big model has %d bytes, the small %d", len(big), len(small))
	}
	writeModels(t, dir, map[string][]byte{
		"a.onnx":     small,
		"big.onnx":   big,
		"panic.onnx": exportBytes(t, smallConfig("B"), "model-panic", 3),
		"slow.onnx":  exportBytes(t, smallConfig("C"), "model-slow", 4),
	})
	const timeout = 200 * time.Millisecond // the real loads take milliseconds
	abandoned := make(chan error, 1)
	saved := loadFile
	defer func() { loadFile = saved }()
	loadFile = func(ctx context.Context, path string, opts onnxrt.LoadOptions) (*onnxrt.Model, error) {
		switch filepath.Base(path) {
		case "slow.onnx": // a load that only stops when its context ends
			<-ctx.Done()
			abandoned <- ctx.Err()
			return nil, ctx.Err()
		case "panic.onnx":
			panic("crafted file")
		}
		return saved(ctx, path, opts)
	}
	start := time.Now()
	models, skipped, err := LoadDirWith(dir, LoadOptions{Timeout: timeout, MaxFileBytes: int64(len(small))})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*timeout {
		t.Errorf("LoadDirWith took %s with a %s timeout", took, timeout)
	}
	var names []string
	for _, m := range models {
		names = append(names, m.Name())
	}
	if !reflect.DeepEqual(names, []string{"model-a"}) {
		t.Fatalf("loaded %v, want [model-a]", names)
	}
	want := map[string][]string{
		"big.onnx":   {"over the limit of", "causeway serve --max-model-size"},
		"panic.onnx": {"panicked", "crafted file"},
		"slow.onnx":  {"longer than 200ms", "causeway serve --model-load-timeout"},
	}
	if len(skipped) != len(want) {
		t.Fatalf("skipped %v, want %d files", skipped, len(want))
	}
	for _, s := range skipped {
		base := filepath.Base(s.Path)
		for _, w := range want[base] {
			if !strings.Contains(s.Error(), w) || !strings.Contains(s.Error(), s.Path) {
				t.Errorf("skipped %s: %q, want it to name the file and contain %q", base, s.Error(), w)
			}
		}
		if want[base] == nil {
			t.Errorf("skipped %s: %v", base, s)
		}
	}
	select {
	case err := <-abandoned:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("the abandoned load saw %v, want its deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the abandoned load's context never ended")
	}

	s, err := New(Config{Models: models})
	if err != nil {
		t.Fatal(err)
	}
	if w := do(t, s, http.MethodPost, "/predict", mustJSON(t, validRequest(1, 10, 4))); w.Code != http.StatusOK {
		t.Fatalf("the remaining model: status %d: %s", w.Code, w.Body)
	}
}
