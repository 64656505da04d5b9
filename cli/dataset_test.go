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
	"causeway/model/modeltest"
)

// writeTestDataSetModel exports a small freshly initialised Model F.
func writeTestDataSetModel(t *testing.T, dir string) string {
	t.Helper()
	c := modeltest.SmallDataSetConfig()
	p, err := model.Init(c, 2)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := export.Build(c, p, export.Metadata{Version: "test", Name: "model-f"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model-f.onnx")
	if err := export.WriteFile(path, mp); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPredictCommandDataSetModel runs `causeway predict --data` with a
// data-set model on mixed and observational-only data, with --do and --dag.
func TestPredictCommandDataSetModel(t *testing.T) {
	dir := t.TempDir()
	modelPath := writeTestDataSetModel(t, dir)
	for _, frac := range []string{"0.5", "0"} {
		scmDir := filepath.Join(dir, "scm"+frac)
		if out, err := runApp("scm", "--out", scmDir, "--nodes", "6", "--graphs", "1", "--seed", "3", "--samples", "30", "--intervention-frac", frac); err != nil {
			t.Fatalf("scm: %v\n%s", err, out)
		}
		out, err := runApp("predict", "--model", modelPath, "--data", filepath.Join(scmDir, "graph-0000"), "--do", "x2=1.5", "--do", "0=-3", "--dag", "--threshold", "0.05")
		if err != nil {
			t.Fatalf("predict (intervention-frac %s): %v\n%s", frac, err, out)
		}
		// The summary (standard error, merged here) comes first.
		summary, body, _ := strings.Cut(out, "\n{")
		if !strings.Contains(summary, "against the true graph") {
			t.Errorf("no summary against adjacency.csv: %q", summary)
		}
		var resp api.DataResponse
		if err := json.Unmarshal([]byte("{"+body), &resp); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		checkAdjacency(t, "adjacency", resp.Adjacency, 6)
		blocks := 0
		if frac == "0.5" {
			blocks = 3 * 3 // ceil(6·0.5) targets × 3 values
		}
		if len(resp.Effects) != 2+blocks || resp.Effects[0].Intervened != "x2" || resp.Effects[1].Intervened != "x0" || resp.Effects[1].Value != -3 {
			t.Fatalf("effects %+v: want the two --do, then %d blocks", resp.Effects, blocks)
		}
		for _, e := range resp.Effects[2:] {
			if !e.InData || e.Rows != 30 || len(e.Observed) != 6 {
				t.Errorf("block effect %+v: want in_data with 30 rows and an observed shift", e)
			}
		}
		if !resp.DAG {
			t.Error("dag not reported")
		}
	}
}

func TestPredictCommandDataSetErrors(t *testing.T) {
	dir := t.TempDir()
	modelPath := writeTestDataSetModel(t, dir)
	pairModel := writeTestModel(t, dir, model.VariantA, 10)
	scmDir := filepath.Join(dir, "scm")
	if out, err := runApp("scm", "--out", scmDir, "--nodes", "5", "--graphs", "1", "--seed", "3", "--samples", "20"); err != nil {
		t.Fatalf("scm: %v\n%s", err, out)
	}
	data := filepath.Join(scmDir, "graph-0000")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", modelPath, "--data", data, "--do", "x9=1"}, `"x9" names no variable`},
		{[]string{"--model", modelPath, "--data", data, "--do", "x1=NaN"}, "not a finite number"},
		{[]string{"--model", modelPath, "--data", data, "--do", "x1=1e999"}, "not a finite number"},
		{[]string{"--model", modelPath, "--data", data, "--do", "x1"}, "want VARIABLE=VALUE"},
		{[]string{"--model", pairModel, "--data", data, "--do", "x1=2"}, "need --data and a data-set model"},
		{[]string{"--model", pairModel, "--data", data, "--dag"}, "need --data and a data-set model"},
	} {
		out, err := runApp(append([]string{"predict"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("predict %v: error %v (output %q), want one containing %q", tc.args, err, out, tc.want)
		}
	}
}

// TestEvalCommandExportedModels scores exported models of both contracts
// and the baseline on whole held-out data sets.
func TestEvalCommandExportedModels(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"--model", writeTestDataSetModel(t, dir)},
		{"--model", writeTestModel(t, dir, model.VariantA, 10)},
		{"--baseline", "stats"},
	} {
		out, err := runApp(append([]string{"eval", "--nodes", "6", "--graphs", "3", "--samples", "20", "--json"}, args...)...)
		if err != nil {
			t.Fatalf("eval %v: %v\n%s", args, err, out)
		}
		var rep struct {
			Report struct {
				Graph struct {
					Graphs    int `json:"graphs"`
					Structure struct {
						AUROC float64 `json:"auroc"`
					} `json:"structure"`
				} `json:"graph"`
				Seen struct {
					Queries int `json:"queries"`
				} `json:"seen"`
			} `json:"report"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if rep.Report.Graph.Graphs != 3 || !(rep.Report.Graph.Structure.AUROC >= 0 && rep.Report.Graph.Structure.AUROC <= 1) || rep.Report.Seen.Queries == 0 {
			t.Errorf("eval %v: %s", args, out)
		}
	}
	if _, err := runApp("eval", "--baseline", "stats", "--model", "x.onnx"); err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Errorf("two sources: %v", err)
	}
	big := writeTestModel(t, dir, model.VariantB, 10)
	if _, err := runApp("eval", "--model", big, "--max-model-size", "2KiB"); err == nil || !strings.Contains(err.Error(), "over the limit of 2 KiB (2048 bytes) (raise --max-model-size)") {
		t.Errorf("eval --max-model-size 2KiB: %v, want the limit and the flag named", err)
	}
}

// TestPredictCommandFormats writes the predicted graph as CSV, DOT and SVG,
// coloured against the adjacency.csv beside the data.
func TestPredictCommandFormats(t *testing.T) {
	dir := t.TempDir()
	modelPath := writeTestDataSetModel(t, dir)
	scmDir := filepath.Join(dir, "scm")
	if out, err := runApp("scm", "--out", scmDir, "--nodes", "5", "--graphs", "1", "--seed", "4", "--samples", "20"); err != nil {
		t.Fatalf("scm: %v\n%s", err, out)
	}
	data := filepath.Join(scmDir, "graph-0000")
	for format, want := range map[string]string{"csv": "from,to,probability\n", "dot": "digraph causeway {", "svg": "<svg"} {
		out := filepath.Join(dir, "graph."+format)
		if msg, err := runApp("predict", "--model", modelPath, "--data", data, "--threshold", "0.3", "--format", format, "--output", out); err != nil {
			t.Fatalf("--format %s: %v\n%s", format, err, msg)
		}
		b, err := os.ReadFile(out)
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("--format %s wrote %.200q (%v), want it to contain %q", format, b, err, want)
		}
		if format == "dot" && !strings.Contains(string(b), "missed (dashed)") {
			t.Errorf("the picture is not coloured against adjacency.csv:\n%s", b)
		}
	}
	if _, err := runApp("predict", "--model", modelPath, "--data", data, "--format", "gif"); err == nil || !strings.Contains(err.Error(), "want one of json, csv, dot, svg, png") {
		t.Errorf("--format gif: %v", err)
	}
}
