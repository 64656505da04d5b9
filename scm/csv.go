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
// the values read. It holds the whole file; ScanCSV reads one block at a
// time.
func ReadCSV(r io.Reader) (*Dataset, error) {
	cr, err := NewCSVReader(r)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Names: cr.Names()}
	rows, err := ScanCSV(cr, func(row []float32) error {
		d.Obs = append(d.Obs, row...)
		return nil
	}, func(b Block) error {
		b.Data = append([]float32(nil), b.Data...)
		d.Blocks = append(d.Blocks, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rows == 0 {
		return nil, ErrNoRows
	}
	if len(d.Obs) == 0 {
		return nil, fmt.Errorf("read csv: no observational rows (rows with an empty %q field)", IntervenedColumn)
	}
	d.Report = d.report()
	return d, nil
}

// ErrNoRows is the error of a data.csv with a header and no data rows.
var ErrNoRows = errors.New("read csv: no data rows after the header")

// CSVReader reads a data.csv (the layout of ReadCSV) one row at a time, so
// that its caller can keep less than the whole file.
type CSVReader struct {
	cr    *csv.Reader
	names []string
	index map[string]int
	ivCol int
	row   []float32
	line  int
}

// NewCSVReader reads the header of a data.csv from r, failing as ReadCSV
// does on a header without variables or without exactly one "intervened"
// column.
func NewCSVReader(r io.Reader) (*CSVReader, error) {
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
	return &CSVReader{cr: cr, names: names, index: index, ivCol: ivCol, row: make([]float32, len(names))}, nil
}

// Names returns the variable names of the header, in column order (the
// "intervened" column left out).
func (r *CSVReader) Names() []string { return r.names }

// Line returns the line of the row Read returned last.
func (r *CSVReader) Line() int { return r.line }

// Read returns the next data row: its values (valid until the next Read)
// and the index of its intervened variable, or -1 for an observational
// row. It skips blank lines and returns io.EOF after the last row; other
// errors name the line.
func (r *CSVReader) Read() (row []float32, node int, err error) {
	n := len(r.names)
	for {
		rec, err := r.cr.Read()
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read csv: %w", err)
		}
		r.line, _ = r.cr.FieldPos(0)
		if len(rec) != n+1 {
			if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
				continue // a blank line
			}
			return nil, 0, fmt.Errorf("read csv: line %d has %d fields, the header has %d", r.line, len(rec), n+1)
		}
		j := 0
		for i, f := range rec {
			if i == r.ivCol {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, 0, fmt.Errorf("read csv: line %d, column %s: %q is not a number", r.line, r.names[j], f)
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, 0, fmt.Errorf("read csv: line %d, column %s: %s is not a finite float32", r.line, r.names[j], strings.TrimSpace(f))
			}
			r.row[j] = float32(v)
			j++
		}
		iv := strings.TrimSpace(rec[r.ivCol])
		if iv == "" {
			return r.row, -1, nil
		}
		k, ok := r.index[iv]
		if !ok {
			return nil, 0, fmt.Errorf("read csv: line %d: intervened variable %q is not in the header", r.line, iv)
		}
		return r.row, k, nil
	}
}

// ScanCSV reads the rest of r in one pass, calling obs with every
// observational row and block with every interventional block (consecutive
// rows with the same intervened variable and the same value of it, as
// ReadCSV groups them) once its last row is read, in file order. The
// slices it passes are reused after the call returns: it holds one block
// at a time. It returns the number of data rows read, and stops at the
// first error, of r or of a callback.
func ScanCSV(r *CSVReader, obs func(row []float32) error, block func(b Block) error) (rows int, err error) {
	var cur Block
	open := false // cur holds rows
	flush := func() error {
		if !open {
			return nil
		}
		open = false
		return block(cur)
	}
	for {
		row, k, err := r.Read()
		if err == io.EOF {
			return rows, flush()
		}
		if err != nil {
			return rows, err
		}
		rows++
		if k < 0 {
			if err := flush(); err != nil {
				return rows, err
			}
			if err := obs(row); err != nil {
				return rows, err
			}
			continue
		}
		if v := float64(row[k]); !open || cur.Node != k || cur.Value != v {
			if err := flush(); err != nil {
				return rows, err
			}
			cur, open = Block{Node: k, Value: v, Data: cur.Data[:0]}, true
		}
		cur.Data = append(cur.Data, row...)
	}
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
	dataPath, err := DataPath(path)
	if err != nil {
		return nil, err
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

// DataPath returns the data.csv of a data set: path itself, or the
// DataFile in it when path is a graph directory.
func DataPath(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("load dataset: %w", err)
	}
	if st.IsDir() {
		return filepath.Join(path, DataFile), nil
	}
	return path, nil
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
