package report

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"causeway/model"
	"causeway/train"
	"causeway/train/traintest"
)

// fixture holds two tiny finished runs, trained once for all tests.
var fixture struct {
	dir  string
	runs []string // run-a (variant A), run-c (variant C)
}

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "report-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		fixture.dir = dir
		for _, v := range []model.Variant{model.VariantA, model.VariantC} {
			out := filepath.Join(dir, "run-"+strings.ToLower(string(v)))
			if _, err := train.Run(context.Background(), traintest.TinyConfig(v, 12), train.Options{Out: out, Version: "test"}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			fixture.runs = append(fixture.runs, out)
		}
		return m.Run()
	}())
}

// copyRun copies a fixture run's log and summary into a fresh directory
// named name, for tests that damage them.
func copyRun(t *testing.T, src, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{train.LogFile, train.SummaryFile} {
		data, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func loadAll(t *testing.T, dirs ...string) []*Run {
	t.Helper()
	var runs []*Run
	for _, d := range dirs {
		r, err := Load(d)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs
}

func TestLoadReadsSeriesAndSummary(t *testing.T) {
	r := loadAll(t, fixture.runs[0])[0]
	if r.Name != "run-a" || r.Label() != "Model A (run-a)" {
		t.Errorf("name %q, label %q", r.Name, r.Label())
	}
	if r.Summary.Steps != 12 || r.Summary.Variant != model.VariantA || r.Summary.Final == nil {
		t.Fatalf("summary: %+v", r.Summary)
	}
	var steps []int
	for _, v := range r.Val {
		steps = append(steps, v.Step)
	}
	if fmt.Sprint(steps) != "[5 10 12]" {
		t.Errorf("validation steps %v, want [5 10 12]", steps)
	}
	if len(r.Train) != 12 || r.Train[0].Step != 1 || r.Train[11].Step != 12 {
		t.Errorf("%d training points", len(r.Train))
	}
	if last := r.Val[len(r.Val)-1].Report; last.Structure.SHD != r.Summary.Final.Structure.SHD {
		t.Errorf("last validation SHD %v, summary's final %v", last.Structure.SHD, r.Summary.Final.Structure.SHD)
	}
}

func TestWriteWritesPlotsAndTable(t *testing.T) {
	runs := loadAll(t, fixture.runs...)
	out := filepath.Join(t.TempDir(), "report")
	written, err := Write(out, runs)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"shd.png", "delta_mse.png", "auroc.png", "loss.png", "README.md"}
	if len(written) != len(want) {
		t.Fatalf("wrote %v, want %v", written, want)
	}
	for i, w := range want {
		if written[i] != filepath.Join(out, w) {
			t.Errorf("wrote %s, want %s", written[i], filepath.Join(out, w))
		}
	}
	for _, name := range want[:4] {
		checkPNG(t, filepath.Join(out, name))
	}

	readme, err := os.ReadFile(filepath.Join(out, ReadmeFile))
	if err != nil {
		t.Fatal(err)
	}
	rows := parseTable(t, string(readme), "| run | variant | steps |")
	if len(rows) != len(runs) {
		t.Fatalf("%d table rows, want %d:\n%s", len(rows), len(runs), readme)
	}
	if !strings.Contains(string(readme), "| **") || strings.Contains(string(readme), "different held-out sets") {
		t.Errorf("runs on the same held-out set: no best value in bold, or a warning:\n%s", readme)
	}
	for i, r := range runs {
		row, s, f := rows[i], r.Summary, *r.Summary.Final
		if row["run"] != r.Name || row["variant"] != string(s.Variant) || row["steps"] != strconv.Itoa(s.Steps) {
			t.Errorf("row %d: %v", i, row)
		}
		wall, err := time.ParseDuration(row["wall time"])
		if err != nil || math.Abs(wall.Seconds()-s.Seconds) > 0.05+1e-9 {
			t.Errorf("%s: wall time %q (%v), summary %v s", r.Name, row["wall time"], err, s.Seconds)
		}
		for _, c := range []struct {
			col  string
			want float64
			prec int
		}{
			{"steps/s", s.StepsPerSec, 2},
			{"SHD", f.Structure.SHD, 2},
			{"AUROC", f.Structure.AUROC, 4},
			{"AUPRC", f.Structure.AUPRC, 4},
			{"F1", f.Structure.F1, 4},
			{"delta MSE", f.Delta.MSE, 4},
			{"delta Huber", f.Delta.Huber, 4},
			{"empty-graph SHD", f.EmptyGraph.SHD, 2},
			{"mean-shift MSE", f.MeanShift.MSE, 4},
		} {
			cell := row[c.col]
			if math.IsNaN(c.want) {
				if cell != notAvailable {
					t.Errorf("%s %s: %q, want %s", r.Name, c.col, cell, notAvailable)
				}
				continue
			}
			got, err := strconv.ParseFloat(cell, 64)
			if err != nil {
				t.Errorf("%s %s: %q: %v", r.Name, c.col, cell, err)
				continue
			}
			if tol := 0.5*math.Pow10(-c.prec) + 1e-12; math.Abs(got-c.want) > tol {
				t.Errorf("%s %s: table %v, summary %v", r.Name, c.col, got, c.want)
			}
			if cell != strconv.FormatFloat(c.want, 'f', c.prec, 64) {
				t.Errorf("%s %s: %q is not the summary's %v to %d decimals", r.Name, c.col, cell, c.want, c.prec)
			}
		}
	}

	// Same runs, same bytes (the README names no paths, times or dates),
	// and the plots too.
	again := filepath.Join(t.TempDir(), "again")
	if _, err := Write(again, loadAll(t, fixture.runs...)); err != nil {
		t.Fatal(err)
	}
	for _, name := range want {
		a, _ := os.ReadFile(filepath.Join(out, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two writes of the same runs", name)
		}
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(out)
	if len(entries) != len(want) {
		t.Errorf("%d entries in the output directory, want %d", len(entries), len(want))
	}
}

// checkPNG asserts that path is a PNG of the plot size with more than a
// background colour and with some of the runs' colours.
func checkPNG(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b := img.Bounds()
	if b.Dx() != 960 || b.Dy() != 600 {
		t.Errorf("%s: %dx%d, want 960x600", path, b.Dx(), b.Dy())
	}
	colours := map[[3]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}]++
		}
	}
	if len(colours) < 10 {
		t.Errorf("%s: only %d colours", path, len(colours))
	}
	if colours[[3]uint32{255, 255, 255}] < b.Dx()*b.Dy()/2 {
		t.Errorf("%s: the background is not mostly white", path)
	}
	for i := range 2 {
		pr, pg, pb, _ := palette[i].RGBA()
		if colours[[3]uint32{pr >> 8, pg >> 8, pb >> 8}] < 20 {
			t.Errorf("%s: run %d's colour is (nearly) absent", path, i)
		}
	}
}

// parseTable returns the rows of the markdown table whose header line
// starts with header, keyed by column head, with bold marks removed.
func parseTable(t *testing.T, doc, header string) []map[string]string {
	t.Helper()
	lines := strings.Split(doc, "\n")
	split := func(l string) []string {
		l = strings.TrimSpace(l)
		l = strings.TrimSuffix(strings.TrimPrefix(l, "|"), "|")
		var out []string
		for _, f := range strings.Split(l, "|") {
			out = append(out, strings.Trim(strings.TrimSpace(f), "*"))
		}
		return out
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, header) {
			continue
		}
		heads := split(l)
		var rows []map[string]string
		for _, l := range lines[i+2:] {
			if !strings.HasPrefix(l, "|") {
				break
			}
			cells := split(l)
			if len(cells) != len(heads) {
				t.Fatalf("row %q has %d cells, header %d", l, len(cells), len(heads))
			}
			row := map[string]string{}
			for j, h := range heads {
				row[h] = cells[j]
			}
			rows = append(rows, row)
		}
		return rows
	}
	t.Fatalf("no table starting %q in:\n%s", header, doc)
	return nil
}

func TestLoadCorruptLogNamesFileAndLine(t *testing.T) {
	dir := copyRun(t, fixture.runs[0], "run-a")
	path := filepath.Join(dir, train.LogFile)
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = `{"kind":"train","step":3,"loss":{"total":` + "\n" // cut short, as by a crash
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), path+":3:") {
		t.Fatalf("err = %v, want one naming %s:3", err, path)
	}

	lines[2] = `{"kind":"val","step":5}` + "\n"
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), path+":3: validation entry without") {
		t.Fatalf("err = %v, want a validation entry without val at line 3", err)
	}
}

func TestLoadMissingAndCorruptFiles(t *testing.T) {
	dir := copyRun(t, fixture.runs[0], "run-a")
	sum := filepath.Join(dir, train.SummaryFile)
	data, _ := os.ReadFile(sum)

	// Corrupt summary: the error names the file and the line.
	bad := strings.Replace(string(data), `"steps": 12`, `"steps": "twelve"`, 1)
	if bad == string(data) {
		t.Fatal("summary has no steps field to corrupt")
	}
	line := 1 + strings.Count(bad[:strings.Index(bad, `"twelve"`)], "\n")
	os.WriteFile(sum, []byte(bad), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%s:%d:", sum, line)) {
		t.Errorf("corrupt summary: err = %v, want one naming %s:%d", err, sum, line)
	}
	os.WriteFile(sum, data[:len(data)/2], 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), sum+":") {
		t.Errorf("truncated summary: err = %v, want one naming %s", err, sum)
	}
	os.WriteFile(sum, []byte("{}"), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not a training summary") {
		t.Errorf("empty summary: err = %v", err)
	}

	// Missing summary of an unfinished run.
	os.Remove(sum)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), sum) || !strings.Contains(err.Error(), "not finished") {
		t.Errorf("missing summary: err = %v", err)
	}
	// Missing log.
	os.WriteFile(sum, data, 0o644)
	os.Remove(filepath.Join(dir, train.LogFile))
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, train.LogFile)) {
		t.Errorf("missing log: err = %v", err)
	}
	// Not a run directory at all.
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "run directory") {
		t.Errorf("empty directory: err = %v", err)
	}
}

func TestWriteWithoutValidationsAndCollidingNames(t *testing.T) {
	// A run without validations has plots without lines, n/a in the table.
	dir := filepath.Join(t.TempDir(), "one", "run")
	cfg := traintest.TinyConfig(model.VariantB, 3)
	cfg.ValGraphs = 0
	if _, err := train.Run(context.Background(), cfg, train.Options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	other := copyRun(t, fixture.runs[1], "run")
	runs := loadAll(t, dir, other)
	out := t.TempDir()
	if _, err := Write(out, runs); err != nil {
		t.Fatal(err)
	}
	if runs[0].Name != "run" {
		t.Errorf("Write renamed the caller's run to %q", runs[0].Name)
	}
	readme, _ := os.ReadFile(filepath.Join(out, ReadmeFile))
	rows := parseTable(t, string(readme), "| run | variant | steps |")
	if len(rows) != 2 || rows[0]["run"] != "one/run" || rows[1]["run"] != filepath.Base(filepath.Dir(other))+"/run" {
		t.Fatalf("rows %v: colliding names not told apart by their directories", rows)
	}
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "|") && strings.Contains(line, "**") {
			t.Errorf("runs on different held-out sets are ranked (bold): %s", line)
		}
	}
	if rows[0]["SHD"] != notAvailable || rows[1]["SHD"] == notAvailable {
		t.Errorf("SHD cells %q and %q", rows[0]["SHD"], rows[1]["SHD"])
	}
	if !strings.Contains(string(readme), "different held-out sets") {
		t.Errorf("README does not warn that the held-out sets differ")
	}
	if _, err := Write(t.TempDir(), nil); err == nil {
		t.Error("Write of no runs succeeded")
	}
}

func TestSmooth(t *testing.T) {
	var pts []TrainPoint
	for i, l := range []float64{4, 2, math.NaN(), 6, 8, 100, 9} {
		pts = append(pts, TrainPoint{Step: (i + 1) * 10, Loss: train.LossParts{Total: l}})
	}
	// Steps (s-30, s]: the point and the two before it.
	got := smooth(pts, 30)
	want := []struct{ x, y float64 }{{10, 4}, {20, 3}, {40, 4}, {50, 7}, {60, 8}, {70, 9}}
	if len(got) != len(want) {
		t.Fatalf("smooth = %v, want %v", got, want)
	}
	for i, w := range want {
		if got[i].X != w.x || got[i].Y != w.y {
			t.Errorf("point %d = %v, want %v", i, got[i], w)
		}
	}
}

func TestFormatSeconds(t *testing.T) {
	for _, c := range []struct {
		s    float64
		want string
	}{
		{0.04, "0.0s"}, {0.36, "0.4s"}, {42, "42.0s"}, {59.96, "1m00.0s"}, {125.34, "2m05.3s"},
		{3723, "1h02m03.0s"}, {math.NaN(), "n/a"}, {-1, "n/a"},
	} {
		got := formatSeconds(c.s)
		if got != c.want {
			t.Errorf("formatSeconds(%v) = %q, want %q", c.s, got, c.want)
		}
		if d, err := time.ParseDuration(got); c.want != "n/a" && (err != nil || math.Abs(d.Seconds()-c.s) > 0.05+1e-9) {
			t.Errorf("%q parses to %v, %v", got, d, err)
		}
	}
}

func TestUniqueNames(t *testing.T) {
	var runs []*Run
	for _, d := range []string{"x/a/run", "y/a/run", "b/run", "c", "c"} {
		runs = append(runs, &Run{Name: filepath.Base(d), Dir: d})
	}
	var got []string
	for _, r := range uniqueNames(runs) {
		got = append(got, r.Name)
	}
	want := []string{"x/a/run", "y/a/run", "b/run", "c", "c #2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("uniqueNames = %q, want %q", got, want)
	}
	if runs[0].Name != "run" {
		t.Errorf("uniqueNames renamed its argument's run to %q", runs[0].Name)
	}
}

// TestDataSetRunIsCompared: a Model F run's validations (data-set reports)
// become structure points, with no delta.
func TestDataSetRunIsCompared(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "f")
	cfg := traintest.TinyConfig(model.VariantF, 5)
	cfg.Regimes.MaxRows, cfg.Regimes.EffectSamples = 30, 50
	if _, err := train.Run(context.Background(), cfg, train.Options{Out: dir}); err != nil {
		t.Fatal(err)
	}
	runs := loadAll(t, dir)
	r := runs[0]
	if len(r.Val) != 1 || !(r.Val[0].Report.Structure.AUROC >= 0) || !math.IsNaN(r.Val[0].Report.Delta.MSE) || r.Summary.Final == nil {
		t.Fatalf("data-set run: %d validations, first %+v, final %v", len(r.Val), r.Val, r.Summary.Final)
	}
	if _, err := Write(t.TempDir(), runs); err != nil {
		t.Fatal(err)
	}
}
