package cli

import (
	"causeway/internal/gemm"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// testVersion is the release the tests' app is built as (NewApp's version).
const testVersion = "0.1.0-test"

// TestCLIConventions: `causeway version`, one-line errors for bad flag
// values and unknown flags, and scm refusing a used --out unless --force.
func TestCLIConventions(t *testing.T) {
	out, err := runApp("version")
	want := fmt.Sprintf("causeway %s (%s %s/%s, gemm %s)", testVersion, runtime.Version(), runtime.GOOS, runtime.GOARCH, gemm.Current())
	if t := gemm.Tuning(); t != "" {
		want += "\ngemm tiles: " + t
	}
	if err != nil || strings.TrimSpace(out) != want {
		t.Errorf("version: %q, %v", out, err)
	}
	for _, args := range [][]string{{"scm", "--out", t.TempDir(), "--nodes", "x"}, {"predict", "--modle", "m.onnx"}} {
		out, err := runApp(args...)
		if err == nil || strings.Count(err.Error(), "\n") > 0 || !strings.Contains(err.Error(), "--help") {
			t.Errorf("%v: error %q, want one line pointing to --help", args, err)
		}
		if strings.Contains(out, "USAGE") {
			t.Errorf("%v printed the help:\n%s", args, out)
		}
	}

	dir := filepath.Join(t.TempDir(), "scm")
	if out, err := runApp("scm", "--out", dir, "--nodes", "4", "--graphs", "3", "--samples", "10"); err != nil {
		t.Fatalf("scm: %v\n%s", err, out)
	}
	if _, err := runApp("scm", "--out", dir, "--nodes", "4", "--graphs", "1", "--samples", "10"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("scm into a used --out: %v, want a refusal naming --force", err)
	}
	if out, err := runApp("scm", "--out", dir, "--nodes", "4", "--graphs", "1", "--samples", "10", "--force"); err != nil {
		t.Fatalf("scm --force: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "graph-0000" {
		t.Errorf("after --force with 1 graph the directory holds %v, want only graph-0000", entries)
	}
}

func TestCompletion(t *testing.T) {
	out, err := runApp("completion", "bash")
	if err != nil || !strings.Contains(out, "complete -o bashdefault") {
		t.Fatalf("completion bash: %v\n%s", err, out)
	}
}
