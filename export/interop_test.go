package export

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"causeway/contract"

	"causeway/model"
	"causeway/model/modeltest"
)

// ortTensor is a tensor in run.mjs's JSON.
type ortTensor struct {
	Dims []int     `json:"dims"`
	Data []float32 `json:"data"`
}

type ortJob struct {
	Model  string               `json:"model"`
	Inputs map[string]ortTensor `json:"inputs"`
}

type ortResult struct {
	Outputs map[string]ortTensor `json:"outputs"`
}

// runORT runs the jobs through onnxruntime-node in one process.
func runORT(t *testing.T, dir, node string, jobs []ortJob) []ortResult {
	t.Helper()
	tmp := t.TempDir()
	in, out := filepath.Join(tmp, "in.json"), filepath.Join(tmp, "out.json")
	data, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "run.mjs"), in, out)
	cmd.Dir = dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("onnxruntime-node: %v\n%s", err, msg)
	}
	data, err = os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res []ortResult
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if len(res) != len(jobs) {
		t.Fatalf("onnxruntime-node returned %d results for %d jobs", len(res), len(jobs))
	}
	return res
}

func pairJob(path string, x contract.Pairs) ortJob {
	return ortJob{Model: path, Inputs: map[string]ortTensor{
		contract.BaseSamples: {[]int{x.B, x.S, x.N}, x.Base},
		contract.IntSamples:  {[]int{x.B, x.S, x.N}, x.Int},
		contract.TargetRow:   {[]int{x.B, x.N}, x.Target},
		contract.IntMask:     {[]int{x.B, x.N}, x.Mask},
	}}
}

// parityCase is one exported model and the batches it runs.
type parityCase struct {
	label   string
	cfg     model.Config
	params  model.Params
	path    string
	batches []contract.Pairs
}

// TestONNXRuntimeParity exports every variant (small, small equivariant and
// default-size configurations), runs the files in onnxruntime-node on
// N ∈ {3, 20, 50}, B ∈ {1, 4}, S ∈ {10, 100} (S = 100 only at default size)
// plus a batch that exercises the std floor and the feature clip, and
// compares with model.Reference within 1e-4.
func TestONNXRuntimeParity(t *testing.T) {
	dir, node := interopDir(t)
	if testing.Short() {
		t.Skip("skipping the onnxruntime parity matrix in -short mode")
	}
	const tol = 1e-4
	rng := rand.New(rand.NewPCG(2024, 13))
	tmp := t.TempDir()
	var cases []parityCase
	for _, v := range model.Variants {
		for _, kind := range []string{"small", "small-equivariant", "default"} {
			c := smallConfig(v, kind == "small-equivariant")
			if kind == "default" {
				c = model.DefaultConfig(v)
			}
			p, err := model.Init(c, uint64(len(cases))+1)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Build(c, p, Metadata{Steps: 0, Seed: 1, Version: "test"})
			if err != nil {
				t.Fatalf("%s %s: %v", v, kind, err)
			}
			path := filepath.Join(tmp, fmt.Sprintf("%s-%s.onnx", v, kind))
			if err := WriteFile(path, m); err != nil {
				t.Fatal(err)
			}
			pc := parityCase{label: fmt.Sprintf("%s/%s", v, kind), cfg: c, params: p, path: path}
			for _, n := range []int{3, 20, 50} {
				for _, b := range []int{1, 4} {
					for _, s := range []int{10, 100} {
						if kind == "default" && s == 10 {
							continue // the slow reference at full size: S=100 only
						}
						pc.batches = append(pc.batches, randomBatch(rng, b, s, n, false))
					}
				}
			}
			pc.batches = append(pc.batches, randomBatch(rng, 3, 20, 7, true))
			cases = append(cases, pc)
		}
	}
	var jobs []ortJob
	for _, pc := range cases {
		for _, x := range pc.batches {
			jobs = append(jobs, pairJob(pc.path, x))
		}
	}
	start := time.Now()
	res := runORT(t, dir, node, jobs)
	t.Logf("onnxruntime-node ran %d batches in %v", len(jobs), time.Since(start).Round(time.Millisecond))

	i := 0
	summary := map[model.Variant][2]float64{}
	for _, pc := range cases {
		var worstDelta, worstAdj float64
		for _, x := range pc.batches {
			r := res[i]
			i++
			wantDelta, wantAdj := reference(t, pc.cfg, pc.params, x)
			where := fmt.Sprintf("%s B=%d S=%d N=%d", pc.label, x.B, x.S, x.N)
			worstDelta = math.Max(worstDelta, compare(t, where, contract.Delta, r.Outputs[contract.Delta], []int{x.B, x.N}, wantDelta, tol))
			worstAdj = math.Max(worstAdj, compare(t, where, contract.AdjLogits, r.Outputs[contract.AdjLogits], []int{x.B, x.N, x.N}, wantAdj, tol))
		}
		t.Logf("%-20s max |onnxruntime - reference|: delta %.2e, adj_logits %.2e", pc.label, worstDelta, worstAdj)
		s := summary[pc.cfg.Variant]
		summary[pc.cfg.Variant] = [2]float64{math.Max(s[0], worstDelta), math.Max(s[1], worstAdj)}
	}
	var lines []string
	for _, v := range model.Variants {
		lines = append(lines, fmt.Sprintf("%s: delta %.2e adj %.2e", v, summary[v][0], summary[v][1]))
	}
	t.Logf("per variant: %s", strings.Join(lines, "; "))
}

// compare checks one output against the reference and returns the largest
// absolute difference.
func compare(t *testing.T, where, name string, got ortTensor, dims []int, want []float32, tol float64) float64 {
	t.Helper()
	return compareRel(t, where, name, got, dims, want, tol, 0x1p-22)
}

// compareRel is compare with a relative allowance rtol·|want| in place of
// two ulps (the shipped trained model's test: see its comment).
func compareRel(t *testing.T, where, name string, got ortTensor, dims []int, want []float32, tol, rtol float64) float64 {
	t.Helper()
	if fmt.Sprint(got.Dims) != fmt.Sprint(dims) || len(got.Data) != len(want) {
		t.Errorf("%s: %s has dims %v (%d values), want %v", where, name, got.Dims, len(got.Data), dims)
		return math.Inf(1)
	}
	var worst float64
	at := 0
	for i := range want {
		// 1e-4 is absolute beyond what float32 can represent: values of
		// magnitude ~1e3 (the feature-clip batches through the mean-shift
		// skip) have a resolution of 1.2e-4, so two ulps of the reference
		// are allowed on top.
		d := math.Abs(float64(got.Data[i])-float64(want[i])) - rtol*math.Abs(float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		if d > worst {
			worst, at = d, i
		}
	}
	if worst > tol {
		t.Errorf("%s: %s differs from the reference by %.3g at %d (%g vs %g), tolerance %g", where, name, worst, at, got.Data[at], want[at], tol)
	}
	return worst
}

// TestONNXChecker runs onnx.checker.check_model(full_check=True) on an
// export of every variant and configuration kind.
func TestONNXChecker(t *testing.T) {
	py := python(t)
	tmp := t.TempDir()
	var paths []string
	for _, v := range model.AllVariants {
		configs := []model.Config{smallConfig(v, false), smallConfig(v, true), model.DefaultConfig(v)}
		if v.DataSet() {
			configs = []model.Config{modeltest.SmallDataSetConfig(), model.DefaultConfig(v)}
		}
		for _, c := range configs {
			p, err := model.Init(c, 3)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Build(c, p, Metadata{Version: "test"})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(tmp, fmt.Sprintf("%s-%d-%t.onnx", v, c.DModel, c.Equivariant))
			if err := WriteFile(path, m); err != nil {
				t.Fatal(err)
			}
			paths = append(paths, path)
		}
	}
	script := `import sys, onnx
for p in sys.argv[1:]:
    m = onnx.load(p)
    onnx.checker.check_model(m, full_check=True)
    assert m.ir_version == 8 and [(o.domain, o.version) for o in m.opset_import] == [("", 13)], p
    print("ok", p)
`
	out, err := exec.Command(py, append([]string{"-c", script}, paths...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("onnx.checker: %v\n%s", err, out)
	}
	if got := strings.Count(string(out), "ok "); got != len(paths) {
		t.Fatalf("onnx.checker checked %d of %d files:\n%s", got, len(paths), out)
	}
}
