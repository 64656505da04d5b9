package cli

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"causeway/model"
	"causeway/train"
	"causeway/train/traintest"
)

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	var dirs []string
	sums := map[string]*train.Summary{}
	for _, v := range []model.Variant{model.VariantA, model.VariantD} {
		out := filepath.Join(dir, "runs", "run-"+strings.ToLower(string(v)))
		s, err := train.Run(context.Background(), traintest.TinyConfig(v, 10), train.Options{Out: out})
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, out)
		sums[filepath.Base(out)] = s
	}
	out := filepath.Join(dir, "report")
	// --out after the run directories, as the README shows it.
	stdout, err := runApp(append(append([]string{"compare"}, dirs...), "--out", out)...)
	if err != nil {
		t.Fatalf("compare: %v\n%s", err, stdout)
	}
	for _, name := range []string{"shd.png", "delta_mse.png", "auroc.png", "loss.png", "README.md"} {
		path := filepath.Join(out, name)
		if !strings.Contains(stdout, path) {
			t.Errorf("output does not list %s:\n%s", path, stdout)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Size() == 0 {
			t.Fatalf("%s: %v (size %d)", path, err, fi.Size())
		}
		if !strings.HasSuffix(name, ".png") {
			continue
		}
		f, _ := os.Open(path)
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b := img.Bounds()
		if b.Dx() < 400 || b.Dy() < 300 {
			t.Errorf("%s: %dx%d is too small", path, b.Dx(), b.Dy())
		}
		first, same := img.At(0, 0), true
		for y := 0; y < b.Dy() && same; y += 3 {
			for x := 0; x < b.Dx() && same; x += 3 {
				same = img.At(x, y) == first
			}
		}
		if same {
			t.Errorf("%s is one colour", path)
		}
	}

	readme, err := os.ReadFile(filepath.Join(out, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var heads []string
	rows := 0
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "| run | variant | steps |") {
			heads = splitMarkdownRow(line)
			continue
		}
		if heads == nil || strings.HasPrefix(line, "| ---") {
			continue
		}
		if !strings.HasPrefix(line, "|") {
			break
		}
		cells := splitMarkdownRow(line)
		s := sums[cells[0]]
		if s == nil || len(cells) != len(heads) {
			t.Fatalf("row %q: unknown run or %d cells for %d columns", line, len(cells), len(heads))
		}
		rows++
		want := map[string]string{
			"variant":         string(s.Variant),
			"steps":           strconv.Itoa(s.Steps),
			"steps/s":         strconv.FormatFloat(s.StepsPerSec, 'f', 2, 64),
			"SHD":             strconv.FormatFloat(s.Final.Structure.SHD, 'f', 2, 64),
			"AUROC":           strconv.FormatFloat(s.Final.Structure.AUROC, 'f', 4, 64),
			"AUPRC":           strconv.FormatFloat(s.Final.Structure.AUPRC, 'f', 4, 64),
			"F1":              strconv.FormatFloat(s.Final.Structure.F1, 'f', 4, 64),
			"delta MSE":       strconv.FormatFloat(s.Final.Delta.MSE, 'f', 4, 64),
			"delta Huber":     strconv.FormatFloat(s.Final.Delta.Huber, 'f', 4, 64),
			"empty-graph SHD": strconv.FormatFloat(s.Final.EmptyGraph.SHD, 'f', 2, 64),
			"mean-shift MSE":  strconv.FormatFloat(s.Final.MeanShift.MSE, 'f', 4, 64),
		}
		for j, h := range heads {
			if w, ok := want[h]; ok && cells[j] != w {
				t.Errorf("%s %s: table %q, summary %q", cells[0], h, cells[j], w)
			}
		}
	}
	if rows != 2 {
		t.Fatalf("%d rows in the table, want 2:\n%s", rows, readme)
	}

	// Flags first works too, and gives the same README.
	out2 := filepath.Join(dir, "report2")
	if _, err := runApp(append([]string{"compare", "--out", out2}, dirs...)...); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(out2, "README.md")); string(again) != string(readme) {
		t.Error("the same runs gave a different README.md")
	}

	// A corrupt log line is reported with its file and line.
	logPath := filepath.Join(dirs[1], train.LogFile)
	data, _ := os.ReadFile(logPath)
	lines := strings.SplitAfter(string(data), "\n")
	lines[1] = "{not json\n"
	os.WriteFile(logPath, []byte(strings.Join(lines, "")), 0o644)
	if _, err := runApp("compare", "--out", out2, dirs[0], dirs[1]); err == nil || !strings.Contains(err.Error(), logPath+":2:") {
		t.Errorf("corrupt log: err = %v, want one naming %s:2", err, logPath)
	}
	if _, err := runApp("compare", "--out", out2, filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "summary.json") {
		t.Errorf("missing run: err = %v", err)
	}
}

func splitMarkdownRow(line string) []string {
	line = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(line), "|"), "|")
	var out []string
	for _, f := range strings.Split(line, "|") {
		out = append(out, strings.Trim(strings.TrimSpace(f), "*"))
	}
	return out
}

func TestCompareArgs(t *testing.T) {
	for _, c := range []struct {
		args     []string
		out      string
		wantDirs []string
		wantOut  string
		wantErr  string
	}{
		{args: []string{"a", "b"}, out: "r", wantDirs: []string{"a", "b"}, wantOut: "r"},
		{args: []string{"a", "b", "--out", "r"}, wantDirs: []string{"a", "b"}, wantOut: "r"},
		{args: []string{"a", "-out=r", "b"}, wantDirs: []string{"a", "b"}, wantOut: "r"},
		{args: []string{"--out", "r", "--", "-odd"}, wantDirs: []string{"-odd"}, wantOut: "r"},
		{args: []string{"a", "b"}, wantErr: "--out DIR is required"},
		{args: []string{"a", "--out"}, wantErr: "--out needs a directory"},
		{args: []string{"a", "--out", "r"}, out: "s", wantErr: "--out given twice"},
		{args: []string{"a", "--steps", "3"}, out: "r", wantErr: "unknown flag --steps"},
		{args: nil, out: "r", wantErr: "no run directories"},
	} {
		dirs, out, err := compareArgs(c.args, c.out)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("compareArgs(%q, %q): err = %v, want %q", c.args, c.out, err, c.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(dirs, c.wantDirs) || out != c.wantOut {
			t.Errorf("compareArgs(%q, %q) = %q, %q, %v; want %q, %q", c.args, c.out, dirs, out, err, c.wantDirs, c.wantOut)
		}
	}
}
