package scm

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// IntervenedColumn is the name of data.csv's column that names the intervened
// variable of a row (empty for observational rows).
const IntervenedColumn = "intervened"

// WriteCSV writes d as data.csv: a header of the variable names and
// "intervened", the observational rows with an empty intervened field, then
// each block's rows with the intervened variable's name. Values are written
// in the shortest form that reads back to the same float32.
func WriteCSV(w io.Writer, d *Dataset) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(append(append([]string(nil), d.Names...), IntervenedColumn)); err != nil {
		return err
	}
	cw.Flush()
	n := d.N()
	var line []byte
	writeRows := func(rows []float32, label string) error {
		for i := 0; i+n <= len(rows); i += n {
			line = line[:0]
			for j, v := range rows[i : i+n] {
				if j > 0 {
					line = append(line, ',')
				}
				line = strconv.AppendFloat(line, float64(v), 'g', -1, 32)
			}
			line = append(line, ',')
			line = append(line, label...)
			line = append(line, '\n')
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
		return nil
	}
	if err := writeRows(d.Obs, ""); err != nil {
		return err
	}
	for _, b := range d.Blocks {
		if b.Node < 0 || b.Node >= n {
			return fmt.Errorf("write csv: block intervenes on node %d of %d", b.Node, n)
		}
		if err := writeRows(b.Data, csvField(d.Names[b.Node])); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// csvField quotes s as encoding/csv would.
func csvField(s string) string {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write([]string{s})
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// ReadCSV reads a data.csv written by WriteCSV (or by hand in that layout):
// a header naming the variables and an "intervened" column (anywhere), then
// one row per sample. Rows with an empty intervened field are observational;
// the others form blocks of consecutive rows with the same intervened variable
// and the same value of it. Every value must be a finite float32. It fails
// with the offending line on ragged rows, non-numeric or non-finite values,
// unknown intervened names, and data without observational rows. The
// returned Dataset has no Adj (see LoadDataset) and a Report computed from
// the values read.
func ReadCSV(r io.Reader) (*Dataset, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("read csv: empty input, want a header line")
	}
	if err != nil {
		return nil, fmt.Errorf("read csv: %w", err)
	}
	ivCol := -1
	var names []string
	index := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a spreadsheet's byte-order mark
		}
		switch {
		case h == IntervenedColumn:
			if ivCol >= 0 {
				return nil, fmt.Errorf("read csv: header has two %q columns", IntervenedColumn)
			}
			ivCol = i
			continue
		case h == "":
			return nil, fmt.Errorf("read csv: header column %d has no name", i+1)
		}
		if _, dup := index[h]; dup {
			return nil, fmt.Errorf("read csv: header names variable %q twice", h)
		}
		index[h] = len(names)
		names = append(names, h)
	}
	if ivCol < 0 {
		return nil, fmt.Errorf("read csv: header has no %q column (want x0,...,x{N-1},%s)", IntervenedColumn, IntervenedColumn)
	}
	if len(names) < 2 {
		return nil, fmt.Errorf("read csv: need at least 2 variables, header has %d", len(names))
	}
	n := len(names)
	d := &Dataset{Names: names}
	row := make([]float32, n)
	var cur *Block
	rows := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != n+1 {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a blank line
			}
			return nil, fmt.Errorf("read csv: line %d has %d fields, the header has %d", line, len(rec), n+1)
		}
		j := 0
		for i, f := range rec {
			if i == ivCol {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, fmt.Errorf("read csv: line %d, column %s: %q is not a number", line, names[j], f)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("read csv: line %d, column %s: %s is not a finite float32", line, names[j], strings.TrimSpace(f))
			}
			row[j] = float32(v)
			j++
		}
		rows++
		iv := strings.TrimSpace(rec[ivCol])
		if iv == "" {
			d.Obs = append(d.Obs, row...)
			cur = nil
			continue
		}
		k, ok := index[iv]
		if !ok {
			return nil, fmt.Errorf("read csv: line %d: intervened variable %q is not in the header", line, iv)
		}
		v := float64(row[k])
		if cur == nil || cur.Node != k || cur.Value != v {
			d.Blocks = append(d.Blocks, Block{Node: k, Value: v})
			cur = &d.Blocks[len(d.Blocks)-1]
		}
		cur.Data = append(cur.Data, row...)
	}
	if rows == 0 {
		return nil, errors.New("read csv: no data rows after the header")
	}
	if len(d.Obs) == 0 {
		return nil, fmt.Errorf("read csv: no observational rows (rows with an empty %q field)", IntervenedColumn)
	}
	d.Report = d.report()
	return d, nil
}

// ReadAdjacency reads an adjacency.csv written for the variables names: a
// header row of the names, then one 0/1 row per parent ([i*N+j] = 1 for the
// edge i → j).
func ReadAdjacency(r io.Reader, names []string) ([]float32, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("read adjacency: %w", err)
	}
	n := len(names)
	if len(recs) != n+1 {
		return nil, fmt.Errorf("read adjacency: %d rows, want a header and %d rows", len(recs), n)
	}
	for i, h := range recs[0] {
		if i >= n || strings.TrimSpace(h) != names[i] {
			return nil, fmt.Errorf("read adjacency: header %v does not match the data's variables %v", recs[0], names)
		}
	}
	if len(recs[0]) != n {
		return nil, fmt.Errorf("read adjacency: header %v does not match the data's variables %v", recs[0], names)
	}
	adj := make([]float32, n*n)
	for i, rec := range recs[1:] {
		if len(rec) != n {
			return nil, fmt.Errorf("read adjacency: row %d has %d fields, want %d", i+1, len(rec), n)
		}
		for j, f := range rec {
			switch strings.TrimSpace(f) {
			case "0":
			case "1":
				if i == j {
					return nil, fmt.Errorf("read adjacency: self-loop on %s", names[i])
				}
				adj[i*n+j] = 1
			default:
				return nil, fmt.Errorf("read adjacency: row %d, column %s: %q is not 0 or 1", i+1, names[j], f)
			}
		}
	}
	return adj, nil
}

// LoadDataset reads a data set written by `causeway scm`: path is a graph
// directory (containing data.csv) or a data.csv file. When adjacency.csv is
// beside data.csv it is read into Adj (otherwise Adj is nil), and when
// scm.json is, it sets Config, Seed and Index (Graph stays nil).
func LoadDataset(path string) (*Dataset, error) {
	dataPath := path
	if st, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("load dataset: %w", err)
	} else if st.IsDir() {
		dataPath = filepath.Join(path, "data.csv")
	}
	d, err := readFile(dataPath, ReadCSV)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(dataPath)
	if adjPath := filepath.Join(dir, AdjacencyFile); exists(adjPath) {
		adj, err := LoadAdjacency(adjPath, d.Names)
		if err != nil {
			return nil, err
		}
		d.Adj = adj
	}
	if jsonPath := filepath.Join(dir, SCMFile); exists(jsonPath) {
		if _, err := readFile(jsonPath, func(r io.Reader) (struct{}, error) { return struct{}{}, d.readSCMJSON(r) }); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// LoadAdjacency reads an adjacency.csv file (see ReadAdjacency) over the
// variables names.
func LoadAdjacency(path string, names []string) ([]float32, error) {
	return readFile(path, func(r io.Reader) ([]float32, error) { return ReadAdjacency(r, names) })
}

// AdjacencyBeside returns the path of the adjacency.csv beside a data set
// (a graph directory or its data.csv), or "" when there is none.
func AdjacencyBeside(path string) string {
	dir := path
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		dir = filepath.Dir(path)
	}
	if p := filepath.Join(dir, AdjacencyFile); exists(p) {
		return p
	}
	return ""
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func readFile[T any](path string, read func(io.Reader) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("load dataset: %w", err)
	}
	defer f.Close()
	v, err := read(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		return zero, fmt.Errorf("load dataset %s: %w", path, err)
	}
	return v, nil
}
