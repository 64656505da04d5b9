package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"causeway/api"
	"causeway/export"
	"causeway/model"
)

// writeTestModel exports a small freshly initialised model to dir.
func writeTestModel(t *testing.T, dir string, v model.Variant, maxNodes int) string {
	t.Helper()
	c := model.DefaultConfig(v)
	c.DModel, c.FF, c.Layers, c.StructLayers, c.MaxNodes = 16, 32, 1, 1, maxNodes
	p, err := model.Init(c, 2)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := export.Build(c, p, export.Metadata{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model-"+strings.ToLower(string(v))+".onnx")
	if err := export.WriteFile(path, mp); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkAdjacency asserts an N×N probability matrix with a zero diagonal.
func checkAdjacency(t *testing.T, what string, adj [][]float32, n int) {
	t.Helper()
	if len(adj) != n {
		t.Fatalf("%s: %d rows, want %d", what, len(adj), n)
	}
	for i, row := range adj {
		if len(row) != n {
			t.Fatalf("%s: row %d has %d entries, want %d", what, i, len(row), n)
		}
		for j, p := range row {
			if (i == j && p != 0) || !(p >= 0 && p <= 1) {
				t.Fatalf("%s[%d][%d] = %g: want probabilities in [0, 1] and a zero diagonal", what, i, j, p)
			}
		}
	}
}

// TestPredictCommandData runs `causeway predict --data` on a CSV written by
// `causeway scm`.
func TestPredictCommandData(t *testing.T) {
	dir := t.TempDir()
	modelPath := writeTestModel(t, dir, model.VariantA, 10)
	scmDir := filepath.Join(dir, "scm")
	if out, err := runApp("scm", "--out", scmDir, "--nodes", "6", "--graphs", "1", "--seed", "3", "--samples", "40"); err != nil {
		t.Fatalf("scm: %v\n%s", err, out)
	}
	graph := filepath.Join(scmDir, "graph-0000")
	for _, data := range []string{graph, filepath.Join(graph, "data.csv")} {
		out, err := runApp("predict", "--model", modelPath, "--data", data)
		if err != nil {
			t.Fatalf("predict --data %s: %v\n%s", data, err, out)
		}
		var res api.DatasetResult
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if res.Model != "model-a" || len(res.Variables) != 6 || res.Variables[5] != "x5" || len(res.Predictions) != 9 {
			t.Fatalf("model %q, variables %v, %d predictions (want 3 targets × 3 values)", res.Model, res.Variables, len(res.Predictions))
		}
		for _, p := range res.Predictions {
			checkAdjacency(t, "adjacency of do("+p.Intervened+")", p.Adjacency, 6)
			if len(p.Delta) != 6 || p.Rows != 40 {
				t.Fatalf("delta %v, rows %d", p.Delta, p.Rows)
			}
		}
		checkAdjacency(t, "adjacency_mean", res.AdjacencyMean, 6)
	}

	// --output writes the same JSON to a file.
	outFile := filepath.Join(dir, "out.json")
	if out, err := runApp("predict", "--model", modelPath, "--data", graph, "--output", outFile, "--threshold", "0.2"); err != nil || out != "" {
		t.Fatalf("--output: %v, stdout %q", err, out)
	}
	var res api.DatasetResult
	data, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &res); err != nil || res.Threshold != 0.2 {
		t.Fatalf("%v threshold %g", err, res.Threshold)
	}
}

// TestPredictCommandInput runs `causeway predict --input` on a single and a
// batch request, from a file and from standard input.
func TestPredictCommandInput(t *testing.T) {
	dir := t.TempDir()
	modelPath := writeTestModel(t, dir, model.VariantD, 10)
	req := `{
  "base_samples": [[0.1, 1.2, -0.3], [0.4, 0.9, 0.1], [-0.2, 1.1, 0.0], [0.3, 1.4, -0.2]],
  "int_samples":  [[5.0, 6.1, 2.2], [5.0, 5.8, 2.0], [5.0, 6.3, 2.5], [5.0, 6.0, 2.1]],
  "intervened_node": "a",
  "variables": ["a", "b", "c"],
  "threshold": 0.3
}`
	in := filepath.Join(dir, "request.json")
	if err := os.WriteFile(in, []byte(req), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runApp("predict", "--model", modelPath, "--input", in)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var resp api.Response
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatal(err)
	}
	checkAdjacency(t, "adjacency", resp.Adjacency, 3)
	if resp.Model != "model-d" || len(resp.Delta) != 3 || resp.Threshold != 0.3 || resp.Variables[2] != "c" {
		t.Fatalf("%+v", resp)
	}

	batch := `{"instances": [` + req + `, ` + strings.Replace(req, `"intervened_node": "a"`, `"int_mask": [0, 1, 0]`, 1) + `]}`
	app := NewApp(testVersion)
	var stdout strings.Builder
	app.Writer, app.ErrWriter, app.Reader = &stdout, &stdout, strings.NewReader(batch)
	if err := app.Run([]string{"causeway", "predict", "--model", modelPath, "--input", "-", "--threshold", "0.9"}); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	var br api.BatchResponse
	if err := json.Unmarshal([]byte(stdout.String()), &br); err != nil || len(br.Predictions) != 2 {
		t.Fatalf("%v %s", err, stdout.String())
	}
	for _, p := range br.Predictions {
		checkAdjacency(t, "adjacency", p.Adjacency, 3)
		if p.Threshold != 0.9 {
			t.Errorf("--threshold did not override the request's: %g", p.Threshold)
		}
	}
}

// TestPredictCommandErrors checks the documented errors.
func TestPredictCommandErrors(t *testing.T) {
	dir := t.TempDir()
	modelPath := writeTestModel(t, dir, model.VariantA, 5)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	header := "x0,x1,x2,intervened\n"
	obs := "1,2,3,\n2,3,4,\n1.5,2,3.5,\n"
	ragged := write("ragged.csv", header+obs+"1,2,x0\n")
	nan := write("nan.csv", header+obs+"5,NaN,3,x0\n5,2,3,x0\n")
	inf := write("inf.csv", header+obs+"5,2,+Inf,x0\n")
	wide := write("wide.csv", "a,b,c,d,e,f,intervened\n1,2,3,4,5,6,\n2,3,4,5,6,7,\n5,3,4,5,6,7,a\n5,2,3,4,5,6,a\n")
	noObs := write("noobs.csv", header+"5,2,3,x0\n5,3,4,x0\n")
	unknown := write("unknown.csv", header+obs+"5,2,3,y\n")
	onlyObs := write("onlyobs.csv", header+obs)
	badJSON := write("bad.json", `{"base_samples": [[1, 2], [3]], "int_samples": [[1, 2], [3, 4]], "intervened_node": 0}`)
	bigJSON := write("big.json", `{"base_samples": [[1,2,3,4,5,6],[2,3,4,5,6,7]], "int_samples": [[1,2,3,4,5,6],[2,3,4,5,6,7]], "intervened_node": 0}`)
	scmRoot := filepath.Join(dir, "root")
	if err := os.MkdirAll(filepath.Join(scmRoot, "graph-0000"), 0o755); err != nil {
		t.Fatal(err)
	}
	write("root/graph-0000/data.csv", header+obs+"5,2,3,x0\n5,3,4,x0\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", ragged}, "line 5 has 3 fields, the header has 4"},
		{[]string{"--data", nan}, "line 5, column x1: NaN is not a finite float32"},
		{[]string{"--data", inf}, "column x2: +Inf is not a finite float32"},
		{[]string{"--data", wide}, "data has 6 variables; model model-a supports at most max_nodes=5"},
		{[]string{"--data", noObs}, "no observational rows"},
		{[]string{"--data", unknown}, `intervened variable "y" is not in the header`},
		{[]string{"--data", onlyObs}, "no interventional rows"},
		{[]string{"--data", scmRoot}, "no data.csv in this directory (it looks like a `causeway scm --out` directory: give one graph, e.g. " + filepath.Join(scmRoot, "graph-0000") + ")"},
		{[]string{"--data", filepath.Join(dir, "missing.csv")}, "no such file"},
		{[]string{"--input", badJSON}, "base_samples[1]: has 1 values, row 0 of base_samples has 2"},
		{[]string{"--input", bigJSON}, "base_samples[0]: has 6 variables; the model supports at most max_nodes=5"},
		{[]string{"--input", badJSON, "--data", ragged}, "exactly one of --input"},
		{[]string{}, "exactly one of --input"},
		{[]string{"--input", badJSON, "--threshold", "1.5"}, "--threshold 1.5"},
		{[]string{"--data", ragged, "--max-model-size", "1KiB"}, "over the limit of 1 KiB (1024 bytes) (raise --max-model-size)"},
		{[]string{"--data", ragged, "--max-model-size", "lots"}, "--max-model-size: \"lots\" is not a size"},
	} {
		args := append([]string{"predict", "--model", modelPath}, tc.args...)
		if _, err := runApp(args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to contain %q", tc.args, err, tc.want)
		}
	}
	if _, err := runApp("predict", "--model", filepath.Join(dir, "nope.onnx"), "--data", ragged); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Errorf("missing model: %v", err)
	}
	// Without --model the embedded default runs, and the bad data is still reported.
	if _, err := runApp("predict", "--data", ragged); err == nil || !strings.Contains(err.Error(), "line 5 has 3 fields") {
		t.Errorf("no --model: %v", err)
	}
}
