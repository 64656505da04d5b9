package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// readmeBlock returns the ```sh block that follows marker in README.md.
func readmeBlock(t *testing.T, marker string) string {
	t.Helper()
	return strings.TrimSpace(readmeFenced(t, marker, "sh"))
}

// TestQuickstartTestCommandIsWhatCIRuns holds the README's test command and
// .ci/run to each other.
func TestQuickstartTestCommandIsWhatCIRuns(t *testing.T) {
	cmd := readmeBlock(t, "<!-- quickstart: test -->")
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ci), "\n"+cmd+"\n") {
		t.Fatalf(".ci/run does not run the README's test command %q", cmd)
	}
}

// TestQuickstartMainJob runs the README's main-job commands in a temporary
// directory, with `go run .` replaced by a freshly built binary, and checks
// the prediction the embedded default model returns.
func TestQuickstartMainJob(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	script := readmeBlock(t, "<!-- quickstart: run -->")
	if !strings.Contains(script, "go run . predict") {
		t.Fatalf("the main job no longer runs predict:\n%s", script)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "causeway")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.ReplaceAll(script, "go run .", bin))
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("quickstart: %v\n%s", err, out)
	}
	var res struct {
		Model     string      `json:"model"`
		Variables []string    `json:"variables"`
		Adjacency [][]float64 `json:"adjacency"`
		Effects   []struct {
			Delta  []float64 `json:"delta"`
			InData bool      `json:"in_data"`
		} `json:"effects"`
	}
	// scm prints its summary first; the prediction JSON starts at the first "{" line.
	if i := strings.Index(string(out), "\n{"); i >= 0 {
		out = out[i+1:]
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("the main job's output is not the predict JSON: %v\n%.500s", err, out)
	}
	const n = 20
	// The data-set default; ceil(20·0.5) = 10 intervened nodes × 3 values.
	if res.Model != "model-f" || len(res.Variables) != n || len(res.Effects) != 30 || !res.Effects[0].InData {
		t.Fatalf("model %q, %d variables, %d effects; want model-f, %d, 30 of the data", res.Model, len(res.Variables), len(res.Effects), n)
	}
	if len(res.Adjacency) != n {
		t.Fatalf("adjacency has %d rows, want %d", len(res.Adjacency), n)
	}
	for i, row := range res.Adjacency {
		for j, v := range row {
			if (i == j && v != 0) || v < 0 || v > 1 {
				t.Fatalf("adjacency[%d][%d] = %g: want a probability, 0 on the diagonal", i, j, v)
			}
		}
	}
}
