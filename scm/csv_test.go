package scm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCSVRoundTrip(t *testing.T) {
	for _, std := range []bool{false, true} {
		cfg := DefaultConfig()
		cfg.Nodes, cfg.Standardize = 7, std
		d, err := NewDataset(cfg, 11, 0)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, d); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if lines[0] != "x0,x1,x2,x3,x4,x5,x6,intervened" {
			t.Errorf("header %q", lines[0])
		}
		if !strings.HasSuffix(lines[1], ",") || !strings.HasSuffix(lines[len(lines)-1], ","+d.Names[d.Blocks[len(d.Blocks)-1].Node]) {
			t.Errorf("first/last rows %q / %q", lines[1], lines[len(lines)-1])
		}
		back, err := ReadCSV(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Names, d.Names) || !reflect.DeepEqual(back.Obs, d.Obs) || !reflect.DeepEqual(back.Blocks, d.Blocks) {
			t.Fatalf("standardize=%v: round trip changed the data", std)
		}
		if !std && back.Report != d.Report {
			t.Errorf("report from the file %+v, at generation %+v", back.Report, d.Report)
		}
	}
}

func TestReadCSVBlocksAndLayout(t *testing.T) {
	// intervened first; a block split by a value change; obs rows after
	// blocks; a BOM; a blank line.
	in := "\ufeffintervened,a,b\n,1,2\nb,0.5,7\nb,0.25,7\nb,0.5,8\n\n,3,4\na,9,1\n"
	d, err := ReadCSV(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Names, []string{"a", "b"}) || !reflect.DeepEqual(d.Obs, []float32{1, 2, 3, 4}) {
		t.Fatalf("names %v obs %v", d.Names, d.Obs)
	}
	want := []Block{
		{Node: 1, Value: 7, Data: []float32{0.5, 7, 0.25, 7}},
		{Node: 1, Value: 8, Data: []float32{0.5, 8}},
		{Node: 0, Value: 9, Data: []float32{9, 1}},
	}
	if !reflect.DeepEqual(d.Blocks, want) {
		t.Errorf("blocks %+v, want %+v", d.Blocks, want)
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty input"},
		{"no intervened column", "x0,x1\n1,2\n", `no "intervened" column`},
		{"two intervened columns", "x0,intervened,intervened\n", "two"},
		{"duplicate name", "x0,x0,intervened\n", `"x0" twice`},
		{"unnamed column", "x0,,intervened\n", "has no name"},
		{"one variable", "x0,intervened\n1,\n", "at least 2 variables"},
		{"header only", "x0,x1,intervened\n", "no data rows"},
		{"ragged short", "x0,x1,intervened\n1,2,\n1,\n", "line 3 has 2 fields, the header has 3"},
		{"ragged long", "x0,x1,intervened\n1,2,,4\n", "line 2 has 4 fields"},
		{"NaN", "x0,x1,intervened\n1,NaN,\n", "line 2, column x1: NaN is not a finite float32"},
		{"Inf", "x0,x1,intervened\n1,2,\n-Inf,2,x1\n", "line 3, column x0: -Inf is not a finite float32"},
		{"float32 overflow", "x0,x1,intervened\n1,1e39,\n", "1e39 is not a finite float32"},
		{"not a number", "x0,x1,intervened\n1,abc,\n", `"abc" is not a number`},
		{"empty value", "x0,x1,intervened\n1,,\n", `"" is not a number`},
		{"unknown intervened", "x0,x1,intervened\n1,2,\n1,2,x7\n", `line 3: intervened variable "x7" is not in the header`},
		{"no observational rows", "x0,x1,intervened\n1,2,x0\n", "no observational rows"},
		{"bad quoting", "x0,x1,intervened\n\"1,2,\n", "read csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestReadAdjacencyErrors(t *testing.T) {
	names := []string{"a", "b"}
	tests := []struct{ name, in, want string }{
		{"ok", "a,b\n0,1\n0,0\n", ""},
		{"wrong header", "a,c\n0,1\n0,0\n", "does not match"},
		{"short header", "a\n0,1\n0,0\n", "does not match"},
		{"missing row", "a,b\n0,1\n", "want a header and 2 rows"},
		{"not binary", "a,b\n0,2\n0,0\n", `"2" is not 0 or 1`},
		{"self-loop", "a,b\n1,0\n0,0\n", "self-loop on a"},
		{"ragged", "a,b\n0\n0,0\n", "row 1 has 1 fields"},
	}
	for _, tc := range tests {
		adj, err := ReadAdjacency(strings.NewReader(tc.in), names)
		if tc.want == "" {
			if err != nil || !reflect.DeepEqual(adj, []float32{0, 1, 0, 0}) {
				t.Errorf("%s: %v, %v", tc.name, adj, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadDataset(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.Pairing, cfg.Standardize = 6, PairingCounterfactual, true
	d, _ := NewDataset(cfg, 5, 2)
	dir := filepath.Join(t.TempDir(), "graph-0002")
	if err := WriteDir(dir, d); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{dir, filepath.Join(dir, DataFile)} {
		got, err := LoadDataset(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Adj, d.Adj) || !reflect.DeepEqual(got.Obs, d.Obs) || !reflect.DeepEqual(got.Blocks, d.Blocks) {
			t.Errorf("%s: loaded data differ", path)
		}
		if got.Graph != nil || got.Seed != 5 || got.Index != 2 || !reflect.DeepEqual(got.Config, cfg) {
			t.Errorf("%s: loaded config %+v seed %d index %d", path, got.Config, got.Seed, got.Index)
		}
		if !reflect.DeepEqual(got.Mean, d.Mean) || !reflect.DeepEqual(got.Std, d.Std) {
			t.Errorf("%s: standardisation statistics lost", path)
		}
	}
	// Without adjacency.csv and scm.json: Adj nil, zero config.
	os.Remove(filepath.Join(dir, AdjacencyFile))
	os.Remove(filepath.Join(dir, SCMFile))
	got, err := LoadDataset(dir)
	if err != nil || got.Adj != nil || got.Config.Nodes != 0 {
		t.Errorf("bare data.csv: Adj %v, config %+v, %v", got.Adj, got.Config, err)
	}
	// A broken adjacency.csv is an error naming the file.
	os.WriteFile(filepath.Join(dir, AdjacencyFile), []byte("nope\n"), 0o644)
	if _, err := LoadDataset(dir); err == nil || !strings.Contains(err.Error(), AdjacencyFile) {
		t.Errorf("broken adjacency: %v", err)
	}
	if _, err := LoadDataset(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing path accepted")
	}
	os.WriteFile(filepath.Join(dir, DataFile), []byte("x0,x1,intervened\n1,2,x9\n"), 0o644)
	if _, err := LoadDataset(dir); err == nil || !strings.Contains(err.Error(), DataFile) || !strings.Contains(err.Error(), "x9") {
		t.Errorf("bad data.csv: %v", err)
	}
}

// TestScanCSV: ScanCSV hands over the rows in file order, each block once
// its last row is read and grouped as ReadCSV groups them, in a buffer it
// reuses; a callback's error stops the scan.
func TestScanCSV(t *testing.T) {
	in := "intervened,a,b\n,1,2\nb,0.5,7\nb,0.25,7\nb,0.5,8\n\n,3,4\na,9,1\na,8,1\n"
	cr, err := NewCSVReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cr.Names(), []string{"a", "b"}) {
		t.Fatalf("names %v", cr.Names())
	}
	var events []string
	var buffers []*float32
	rows, err := ScanCSV(cr, func(row []float32) error {
		events = append(events, fmt.Sprint("obs ", row))
		return nil
	}, func(b Block) error {
		events = append(events, fmt.Sprintf("do(%d=%g) %v", b.Node, b.Value, b.Data))
		buffers = append(buffers, &b.Data[:1][0])
		return nil
	})
	if err != nil || rows != 7 {
		t.Fatalf("rows %d, %v", rows, err)
	}
	want := []string{"obs [1 2]", "do(1=7) [0.5 7 0.25 7]", "do(1=8) [0.5 8]", "obs [3 4]", "do(0=9) [9 1]", "do(0=8) [8 1]"}
	if !reflect.DeepEqual(events, want) {
		t.Errorf("events %q\nwant %q", events, want)
	}
	for i, p := range buffers {
		if p != buffers[0] {
			t.Errorf("block %d came in a new buffer: ScanCSV should reuse one", i)
		}
	}

	cr, _ = NewCSVReader(strings.NewReader(in))
	stop := errors.New("stop")
	blocks := 0
	if _, err := ScanCSV(cr, func([]float32) error { return nil }, func(Block) error { blocks++; return stop }); err != stop || blocks != 1 {
		t.Errorf("a callback's error: %v after %d blocks, want it returned after 1", err, blocks)
	}
	cr, _ = NewCSVReader(strings.NewReader("a,b,intervened\n1,2,\n1,x,\n"))
	if _, err := ScanCSV(cr, func([]float32) error { return nil }, func(Block) error { return nil }); err == nil || !strings.Contains(err.Error(), `line 3, column b: "x" is not a number`) {
		t.Errorf("bad value: %v", err)
	}
}
