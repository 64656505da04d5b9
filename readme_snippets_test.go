package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeFenced returns the fenced block of language lang that follows
// marker in README.md.
func readmeFenced(t *testing.T, marker, lang string) string {
	t.Helper()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)" + regexp.QuoteMeta(marker) + "\\s*```" + lang + "\\n(.*?)```")
	m := re.FindSubmatch(data)
	if m == nil {
		t.Fatalf("README.md has no ```%s block after %q", lang, marker)
	}
	return string(m[1])
}

// TestREADMENodeExample runs the README's onnxruntime-node snippet as
// written (from the repository root, so models/model-a.onnx resolves; the
// script sits in tests/interop, so onnxruntime-node does) and checks the
// output shapes it prints.
func TestREADMENodeExample(t *testing.T) {
	script := readmeFenced(t, "<!-- example: node -->", "js")
	node, err := exec.LookPath("node")
	interop, _ := filepath.Abs(filepath.Join("tests", "interop"))
	if _, serr := os.Stat(filepath.Join(interop, "node_modules", "onnxruntime-node")); err != nil || serr != nil {
		if os.Getenv("CAUSEWAY_REQUIRE_INTEROP") == "1" {
			t.Fatalf("node or tests/interop/node_modules/onnxruntime-node missing (node: %v)", err)
		}
		t.Skip("needs node and `cd tests/interop && ONNXRUNTIME_NODE_INSTALL=skip npm ci`")
	}
	f, err := os.CreateTemp(interop, ".readme-example-*.mjs")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	if _, err := f.WriteString(script); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.Command(node, f.Name()).CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "[ 1, 5 ] [ 1, 5, 5 ]" {
		t.Errorf("the snippet printed %q, want the shapes [ 1, 5 ] [ 1, 5, 5 ]", got)
	}
}

// TestREADMEPythonExample checks that the README's Python snippet is valid
// Python that defines every input it passes (onnxruntime's Python package
// is not installed where the tests run, so it is parsed, not run).
func TestREADMEPythonExample(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)Python \\(onnxruntime\\):\\s*```python\\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("README.md has no Python (onnxruntime) snippet")
	}
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("no /usr/bin/python3")
	}
	// Every name the snippet reads is assigned or imported in it.
	check := `import ast, builtins, sys
tree = ast.parse(sys.stdin.read())
bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
bound |= {a.asname or a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
missing = sorted(used - bound - set(dir(builtins)))
print(" ".join(missing))
`
	cmd := exec.Command(py, "-c", check)
	cmd.Stdin = strings.NewReader(string(m[1]))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if missing := strings.TrimSpace(string(out)); missing != "" {
		t.Errorf("the Python snippet uses names it never defines: %s", missing)
	}
}
