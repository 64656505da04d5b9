package export

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"causeway/model"
)

// smallConfig is a fast architecture for tests; the equivariant one also
// turns on the mean-shift skip and the pair statistics, so parity tests
// cover those options.
func smallConfig(v model.Variant, equivariant bool) model.Config {
	c := model.DefaultConfig(v)
	c.DModel, c.FF, c.Layers, c.StructLayers = 16, 32, 2, 1
	c.HyperDim, c.HyperHidden = 4, 8
	c.Equivariant = equivariant
	c.MeanShiftSkip = equivariant
	c.PairStats = equivariant
	return c
}

// batch is one input batch of the tensor contract.
type batch struct {
	b, s, n                  int
	base, intv, target, mask []float32
}

// randomBatch draws well-scaled columns with one intervened node per
// element. With guards, column 0 of the base samples is constant (so the
// std floor acts) and targets lie far out (so the feature clip acts).
func randomBatch(rng *rand.Rand, b, s, n int, guards bool) batch {
	x := batch{b: b, s: s, n: n,
		base: make([]float32, b*s*n), intv: make([]float32, b*s*n),
		target: make([]float32, b*n), mask: make([]float32, b*n)}
	for bi := 0; bi < b; bi++ {
		node := rng.IntN(n)
		x.mask[bi*n+node] = 1
		for j := 0; j < n; j++ {
			scale := 0.5 + 3*rng.Float64()
			offset := 4 * rng.NormFloat64()
			for k := 0; k < s; k++ {
				v := offset + scale*rng.NormFloat64()
				if guards && j == 0 {
					v = 3
				}
				x.base[(bi*s+k)*n+j] = float32(v)
				v = offset + 1.3*scale*rng.NormFloat64()
				if j == node {
					v = 8
				}
				x.intv[(bi*s+k)*n+j] = float32(v)
			}
			t := offset + scale*rng.NormFloat64()
			if guards && j%2 == 1 {
				t = offset + 500*scale
			}
			x.target[bi*n+j] = float32(t)
		}
	}
	return x
}

// reference runs the plain-Go reference backend.
func reference(t *testing.T, c model.Config, p model.Params, x batch) (delta, adj []float32) {
	t.Helper()
	delta, adj, err := model.Predict(c, p, x.base, x.intv, x.target, x.mask, x.b, x.s, x.n)
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
