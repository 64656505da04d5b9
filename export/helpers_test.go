package export

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"causeway/contract"
	"causeway/model"
	"causeway/model/modeltest"
)

// smallConfig is modeltest.SmallConfig: the equivariant one also turns on
// the mean-shift skip and the pair statistics.
func smallConfig(v model.Variant, equivariant bool) model.Config {
	return modeltest.SmallConfig(v, equivariant)
}

// randomBatch is modeltest.RandomBatch.
func randomBatch(rng *rand.Rand, b, s, n int, guards bool) contract.Pairs {
	return modeltest.RandomBatch(rng, b, s, n, guards)
}

// reference runs the plain-Go reference backend.
func reference(t *testing.T, c model.Config, p model.Params, x contract.Pairs) (delta, adj []float32) {
	t.Helper()
	delta, adj, err := model.Predict(c, p, x.Base, x.Int, x.Target, x.Mask, x.B, x.S, x.N)
	if err != nil {
		t.Fatal(err)
	}
	return delta, adj
}

// requireInterop reports whether a missing interop tool fails the test
// (CAUSEWAY_REQUIRE_INTEROP=1, as in CI) rather than skipping it.
func requireInterop() bool { return os.Getenv("CAUSEWAY_REQUIRE_INTEROP") == "1" }

func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if requireInterop() {
		t.Fatalf(format+" (CAUSEWAY_REQUIRE_INTEROP=1)", args...)
	}
	t.Skipf(format+"; set CAUSEWAY_REQUIRE_INTEROP=1 to make this a failure", args...)
}

// interopDir returns tests/interop with onnxruntime-node installed, and
// the node binary, or skips (fails under CAUSEWAY_REQUIRE_INTEROP=1).
func interopDir(t *testing.T) (dir, node string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		skipOrFail(t, "node is not installed (apt-get install nodejs npm)")
	}
	dir, err = filepath.Abs(filepath.Join("..", "tests", "interop"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "onnxruntime-node", "package.json")); err != nil {
		skipOrFail(t, "onnxruntime-node is not installed: run `cd tests/interop && ONNXRUNTIME_NODE_INSTALL=skip npm ci`")
	}
	return dir, node
}

// python returns /usr/bin/python3 if it imports onnx, or skips (fails under
// CAUSEWAY_REQUIRE_INTEROP=1).
func python(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if out, err := exec.Command(py, "-c", "import onnx").CombinedOutput(); err != nil {
		skipOrFail(t, "%s cannot import onnx (apt-get install python3-onnx): %v %s", py, err, out)
	}
	return py
}
