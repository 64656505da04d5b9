package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tinyTrainArgs is a `causeway train` run of a few seconds.
func tinyTrainArgs(out, variant string) []string {
	return []string{"train", "--variant", variant, "--out", out, "--steps", "6", "--batch", "4", "--nodes", "5-6",
		"--d-model", "16", "--heads", "2", "--layers", "1", "--struct-layers", "1", "--ff", "32", "--max-nodes", "8",
		"--val-every", "3", "--val-graphs", "4", "--val-nodes", "5", "--workers", "2", "--log-level", "warn"}
}

func TestTrainAndEvalCommands(t *testing.T) {
	dir := t.TempDir()
	run := filepath.Join(dir, "run-d")
	out, err := runApp(tinyTrainArgs(run, "D")...)
	if err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	if !strings.Contains(out, "trained Model D: 6 steps") || !strings.Contains(out, "AUROC") {
		t.Fatalf("train output lacks the summary and table:\n%s", out)
	}
	for _, f := range []string{"checkpoint.safetensors", "log.jsonl", "summary.json"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Fatalf("run directory lacks %s: %v", f, err)
		}
	}

	out, err = runApp("eval", "--checkpoint", run, "--nodes", "6", "--graphs", "10", "--json")
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	var rep struct {
		Variant string `json:"variant"`
		Step    int    `json:"step"`
		Report  struct {
			Graphs     int `json:"graphs"`
			EmptyGraph struct {
				SHD float64 `json:"shd"`
			} `json:"empty_graph"`
			TrueEdges float64 `json:"true_edges"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("eval --json: %v\n%s", err, out)
	}
	// The empty graph's SHD is the number of true edges, by definition.
	if rep.Variant != "D" || rep.Step != 6 || rep.Report.Graphs != 10 || rep.Report.EmptyGraph.SHD != rep.Report.TrueEdges {
		t.Fatalf("eval report %+v", rep)
	}

	// Resuming as another variant, or a missing or corrupt checkpoint, fails clearly.
	if _, err := runApp(append(tinyTrainArgs(run, "A"), "--resume", "--steps", "8")...); err == nil || !strings.Contains(err.Error(), "the checkpoint is Model D, not Model A") {
		t.Fatalf("resume as A: %v", err)
	}
	corrupt := filepath.Join(dir, "corrupt.safetensors")
	if err := os.WriteFile(corrupt, []byte("\x08\x00\x00\x00\x00\x00\x00\x00{broken}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing"), "does not exist"},
		{corrupt, "corrupt.safetensors"},
	} {
		if _, err := runApp("eval", "--checkpoint", tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("eval --checkpoint %s: %v, want %q", tc.path, err, tc.want)
		}
	}
	if _, err := runApp("eval", "--checkpoint", run, "--nodes", "60"); err == nil || !strings.Contains(err.Error(), "--nodes 60") {
		t.Errorf("eval --nodes 60: %v", err)
	}

	// --init warm-starts a new run from the D run (a directory or its file);
	// it refuses --resume, another variant, a missing or corrupt checkpoint.
	warm := filepath.Join(dir, "warm")
	if out, err := runApp(append(tinyTrainArgs(warm, "D"), "--init", run)...); err != nil {
		t.Fatalf("train --init: %v\n%s", err, out)
	}
	var sum struct {
		Config struct {
			Init     string `json:"init"`
			InitStep int    `json:"init_step"`
		} `json:"config"`
	}
	if b, err := os.ReadFile(filepath.Join(warm, "summary.json")); err != nil || json.Unmarshal(b, &sum) != nil {
		t.Fatalf("summary.json: %v", err)
	}
	if !strings.HasSuffix(sum.Config.Init, "checkpoint.safetensors") || sum.Config.InitStep != 6 {
		t.Errorf("summary records init %q at step %d, want the D run's checkpoint at step 6", sum.Config.Init, sum.Config.InitStep)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(tinyTrainArgs(filepath.Join(dir, "w1"), "D"), "--init", run, "--resume"), "--init starts a new run"},
		{append(tinyTrainArgs(filepath.Join(dir, "w2"), "A"), "--init", run), "the checkpoint is Model D, the run Model A"},
		{append(tinyTrainArgs(filepath.Join(dir, "w3"), "D"), "--init", filepath.Join(dir, "missing")), "--init"},
		{append(tinyTrainArgs(filepath.Join(dir, "w4"), "D"), "--init", corrupt), "corrupt.safetensors"},
	} {
		if _, err := runApp(tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("train %v: %v, want %q", tc.args[len(tc.args)-2:], err, tc.want)
		}
	}
}
