package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"causeway/scm"
)

// runSCMCLI runs `causeway scm args...`, capturing stdout and stderr.
func runSCMCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	app := NewApp(testVersion)
	var out, errOut bytes.Buffer
	app.Writer, app.ErrWriter = &out, &errOut
	err = app.Run(append([]string{"causeway", "scm"}, args...))
	return out.String(), errOut.String(), err
}

func TestSCMCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	stdout, _, err := runSCMCLI(t, "--nodes", "6", "--graphs", "3", "--seed", "7", "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "graph-0000  nodes 6  edges ") || !strings.Contains(lines[0], "clipped ") ||
		!strings.Contains(lines[0], "constant columns ") || !strings.HasPrefix(lines[3], "wrote 3 graphs to "+dir) {
		t.Errorf("output:\n%s", stdout)
	}
	for i := range 3 {
		g := filepath.Join(dir, scm.GraphDirName(i))
		for _, f := range []string{scm.DataFile, scm.AdjacencyFile, scm.DotFile, scm.SCMFile} {
			if _, err := os.Stat(filepath.Join(g, f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
		d, err := scm.LoadDataset(g)
		if err != nil {
			t.Fatal(err)
		}
		// Notebook defaults: 100 rows, ceil(6·0.5) = 3 targets × values 5, 8, 10.
		if d.N() != 6 || d.ObsRows() != 100 || len(d.Blocks) != 9 || d.Adj == nil || d.Seed != 7 || d.Index != i {
			t.Errorf("graph %d: N %d, %d obs rows, %d blocks, seed %d", i, d.N(), d.ObsRows(), len(d.Blocks), d.Seed)
		}
	}
	// Same flags, same bytes.
	again := filepath.Join(t.TempDir(), "again")
	if _, _, err := runSCMCLI(t, "--nodes", "6", "--graphs", "3", "--seed", "7", "--out", again); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		for _, f := range []string{scm.DataFile, scm.AdjacencyFile, scm.DotFile, scm.SCMFile} {
			a, _ := os.ReadFile(filepath.Join(dir, scm.GraphDirName(i), f))
			b, _ := os.ReadFile(filepath.Join(again, scm.GraphDirName(i), f))
			if !bytes.Equal(a, b) {
				t.Errorf("graph %d %s differs between identical runs", i, f)
			}
		}
	}
}

func TestSCMCommandOptions(t *testing.T) {
	dir := t.TempDir()
	_, _, err := runSCMCLI(t, "--nodes", "12", "--graphs", "1", "--out", dir, "--prior", "er", "--degree", "1.5",
		"--samples", "40", "--intervention-frac", "0.25", "--values", "-2, 3", "--pairing", "counterfactual",
		"--weights", "--standardize", "--noise", "laplace", "--noise-scale", "0.5")
	if err != nil {
		t.Fatal(err)
	}
	d, err := scm.LoadDataset(filepath.Join(dir, "graph-0000"))
	if err != nil {
		t.Fatal(err)
	}
	c := d.Config
	if c.Prior != scm.PriorER || c.Degree != 1.5 || c.Samples != 40 || c.InterventionFrac != 0.25 || len(c.Values) != 2 ||
		c.Values[0] != -2 || c.Pairing != scm.PairingCounterfactual || !c.Weights || !c.Standardize ||
		c.Noise != scm.NoiseLaplace || c.NoiseScale != 0.5 {
		t.Errorf("scm.json config %+v", c)
	}
	if d.ObsRows() != 40 || len(d.Blocks) != 3*2 || d.Mean == nil {
		t.Errorf("%d obs rows, %d blocks", d.ObsRows(), len(d.Blocks))
	}
}

func TestSCMCommandErrors(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	os.WriteFile(file, nil, 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing out", []string{"--nodes", "5"}, `"out" not set`},
		{"one node", []string{"--nodes", "1"}, "nodes must be at least 2"},
		{"probability above 1", []string{"--edge-prob", "1.5"}, "edge probability must be in [0, 1]"},
		{"negative fraction", []string{"--intervention-frac", "-0.1"}, "intervention fraction"},
		{"no graphs", []string{"--graphs", "0"}, "graph count must be at least 1"},
		{"bad values", []string{"--values", "5,eight"}, "--values"},
		{"bad prior", []string{"--prior", "ba"}, `unknown prior "ba"`},
		{"bad pairing", []string{"--pairing", "paired"}, `unknown pairing "paired"`},
		{"bad noise", []string{"--noise", "cauchy"}, `unknown noise "cauchy"`},
		{"zero noise", []string{"--noise-scale", "0"}, "noise scale"},
		{"one sample", []string{"--samples", "1"}, "samples must be at least 2"},
		{"degree with notebook", []string{"--degree", "3"}, "--degree applies to the er and sf priors"},
		{"edge-prob with er", []string{"--prior", "er", "--edge-prob", "0.1"}, "--edge-prob applies to the notebook prior"},
		{"er degree too large", []string{"--prior", "er", "--nodes", "5", "--degree", "3"}, "too large for the er prior"},
		{"unwritable out", []string{"--out", filepath.Join(file, "sub")}, "output directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(root, strings.ReplaceAll(tc.name, " ", "-"))
			args := tc.args
			if !strings.Contains(strings.Join(args, " "), "--out") && tc.name != "missing out" {
				args = append(args, "--out", out)
			}
			_, _, err := runSCMCLI(t, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was written despite the error", out)
			}
		})
	}
}
