package scm

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The files of a graph directory.
const (
	DataFile      = "data.csv"      // see WriteCSV
	AdjacencyFile = "adjacency.csv" // N×N 0/1, row = parent, column = child
	DotFile       = "graph.dot"     // Graphviz, edges labelled with mechanisms
	SCMFile       = "scm.json"      // mechanisms, noise, prior, seed, report
)

// WriteDir writes d into the directory dir atomically: the files are written
// into a temporary sibling directory that is then renamed to dir (replacing a
// previous dir), so a killed run never leaves a half-written graph directory
// (at worst a hidden ".NAME.tmp-*" sibling). It writes data.csv, and
// adjacency.csv when d.Adj is known, and graph.dot and scm.json when d.Graph
// is.
func WriteDir(dir string, d *Dataset) (err error) {
	dir = filepath.Clean(dir)
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return err // wrapped by the deferred function
	}
	defer func() {
		if err != nil {
			if tmp != "" {
				os.RemoveAll(tmp)
			}
			err = fmt.Errorf("write %s: %w", dir, err)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	files := []struct {
		name  string
		write func(io.Writer) error
		skip  bool
	}{
		{DataFile, func(w io.Writer) error { return WriteCSV(w, d) }, false},
		{AdjacencyFile, func(w io.Writer) error { return writeAdjacency(w, d.Names, d.Adj) }, d.Adj == nil},
		{DotFile, func(w io.Writer) error { return writeDot(w, d) }, d.Graph == nil},
		{SCMFile, func(w io.Writer) error { return writeSCMJSON(w, d) }, d.Graph == nil},
	}
	for _, f := range files {
		if f.skip {
			continue
		}
		if err := writeFile(filepath.Join(tmp, f.name), f.write); err != nil {
			return err
		}
	}
	// Move a previous directory aside, put the new one in place, then drop
	// the old one: dir is never partial (the complete old directory, for a
	// moment nothing, then the complete new one).
	old := tmp + ".old"
	replaced := false
	if err := os.Rename(dir, old); err == nil {
		replaced = true
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if replaced {
			os.Rename(old, dir)
		}
		return err
	}
	if replaced {
		os.RemoveAll(old)
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeAdjacency(w io.Writer, names []string, adj []float32) error {
	n := len(names)
	if len(adj) != n*n {
		return fmt.Errorf("adjacency has %d entries, want %d×%d", len(adj), n, n)
	}
	bw := bufio.NewWriter(w)
	quoted := make([]string, n)
	for i, s := range names {
		quoted[i] = csvField(s)
	}
	bw.WriteString(strings.Join(quoted, ","))
	bw.WriteByte('\n')
	for i := range n {
		for j := range n {
			if j > 0 {
				bw.WriteByte(',')
			}
			if adj[i*n+j] != 0 {
				bw.WriteByte('1')
			} else {
				bw.WriteByte('0')
			}
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func writeDot(w io.Writer, d *Dataset) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "// causeway scm: graph %d of seed %d, prior %s (%s)\n", d.Index, d.Seed, d.Config.Prior, priorDescription(d.Config))
	bw.WriteString("digraph scm {\n")
	for _, name := range d.Names {
		fmt.Fprintf(bw, "  %s;\n", strconv.Quote(name))
	}
	for _, e := range d.Graph.Edges() {
		label := e.Mechanism.String()
		if d.Config.Weights {
			label += " ×" + strconv.FormatFloat(e.Weight, 'g', 4, 64)
		}
		fmt.Fprintf(bw, "  %s -> %s [label=%s];\n", strconv.Quote(d.Names[e.From]), strconv.Quote(d.Names[e.To]), strconv.Quote(label))
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// priorDescription names the prior's parameters, e.g. "edge_prob 0.3".
func priorDescription(c Config) string {
	var parts []string
	params := priorParams(c)
	for _, k := range slices.Sorted(maps.Keys(params)) {
		parts = append(parts, fmt.Sprintf("%s %g", k, params[k]))
	}
	return strings.Join(parts, ", ")
}

// priorParams lists the parameters of c's prior; for "er" edge_prob is the
// derived 2·degree/(N−1).
func priorParams(c Config) map[string]float64 {
	switch c.Prior {
	case PriorNotebook:
		return map[string]float64{"edge_prob": c.EdgeProb}
	case PriorER:
		return map[string]float64{"degree": c.Degree, "edge_prob": min(1, 2*c.Degree/float64(c.Nodes-1))}
	default:
		return map[string]float64{"degree": c.Degree}
	}
}

// scmJSON is the layout of scm.json.
type scmJSON struct {
	Seed             uint64             `json:"seed"`
	Graph            int                `json:"graph"`
	Nodes            int                `json:"nodes"`
	Edges            int                `json:"edges"`
	Prior            Prior              `json:"prior"`
	PriorParams      map[string]float64 `json:"prior_params"`
	Noise            string             `json:"noise"`
	NoiseScale       float64            `json:"noise_scale"`
	Weights          bool               `json:"weights"`
	Standardize      bool               `json:"standardize"`
	Clip             float64            `json:"clip"`
	Samples          int                `json:"samples"`
	InterventionFrac float64            `json:"intervention_frac"`
	Values           []float64          `json:"values"`
	Pairing          string             `json:"pairing"`
	Variables        []string           `json:"variables"`
	Order            []string           `json:"topological_order"`
	EdgeList         []edgeJSON         `json:"edge_list"`
	Interventions    []interventionJSON `json:"interventions"`
	Standardization  *standardJSON      `json:"standardization,omitempty"`
	Report           reportJSON         `json:"report"`
}

type edgeJSON struct {
	From      string    `json:"from"`
	To        string    `json:"to"`
	Mechanism Mechanism `json:"mechanism"`
	Weight    float64   `json:"weight"`
}

type interventionJSON struct {
	Node     string  `json:"node"`
	Value    float64 `json:"value"`
	FirstRow int     `json:"first_row"` // 0-based data row of data.csv (header excluded)
	Rows     int     `json:"rows"`
}

type standardJSON struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

type reportJSON struct {
	Report
	ClipFraction     float64 `json:"clip_fraction"`
	ConstantFraction float64 `json:"constant_fraction"`
}

// readSCMJSON sets d's Config, Seed and Index from an scm.json.
func (d *Dataset) readSCMJSON(r io.Reader) error {
	var in scmJSON
	if err := json.NewDecoder(r).Decode(&in); err != nil {
		return fmt.Errorf("read scm.json: %w", err)
	}
	if in.Nodes != d.N() {
		return fmt.Errorf("read scm.json: %d nodes, the data have %d variables", in.Nodes, d.N())
	}
	c := DefaultConfig()
	c.Nodes, c.Prior = in.Nodes, in.Prior
	if p, ok := in.PriorParams["edge_prob"]; ok && in.Prior == PriorNotebook {
		c.EdgeProb = p
	}
	if k, ok := in.PriorParams["degree"]; ok {
		c.Degree = k
	}
	c.Noise, c.NoiseScale, c.Weights, c.Standardize = in.Noise, in.NoiseScale, in.Weights, in.Standardize
	c.Samples, c.InterventionFrac, c.Values, c.Pairing = in.Samples, in.InterventionFrac, in.Values, in.Pairing
	d.Config, d.Seed, d.Index = c, in.Seed, in.Graph
	if in.Standardization != nil {
		d.Mean, d.Std = in.Standardization.Mean, in.Standardization.Std
	}
	return nil
}

func writeSCMJSON(w io.Writer, d *Dataset) error {
	c, g := d.Config, d.Graph
	name := func(i int) string { return d.Names[i] }
	out := scmJSON{
		Seed: d.Seed, Graph: d.Index, Nodes: g.N, Edges: g.NumEdges(),
		Prior: c.Prior, PriorParams: priorParams(c),
		Noise: c.Noise, NoiseScale: c.NoiseScale, Weights: c.Weights, Standardize: c.Standardize,
		Clip: Clip, Samples: c.Samples, InterventionFrac: c.InterventionFrac, Values: c.Values,
		Pairing: c.Pairing, Variables: d.Names,
		EdgeList:      []edgeJSON{},
		Interventions: []interventionJSON{},
		Report:        reportJSON{d.Report, d.Report.ClipFraction(), d.Report.ConstantFraction()},
	}
	for _, v := range g.Order {
		out.Order = append(out.Order, name(v))
	}
	for _, e := range g.Edges() {
		out.EdgeList = append(out.EdgeList, edgeJSON{name(e.From), name(e.To), e.Mechanism, e.Weight})
	}
	row, n := d.ObsRows(), d.N()
	for i, b := range d.Blocks {
		value := b.Value
		if i < len(d.rawValues) {
			value = d.rawValues[i] // the raw value, also when standardised
		}
		out.Interventions = append(out.Interventions, interventionJSON{name(b.Node), value, row, b.Rows(n)})
		row += b.Rows(n)
	}
	if d.Mean != nil {
		out.Standardization = &standardJSON{d.Mean, d.Std}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// GraphDirName returns the directory name of graph index: graph-0000, ...
func GraphDirName(index int) string { return fmt.Sprintf("graph-%04d", index) }

// Summary describes one written graph directory, for progress reports.
type Summary struct {
	Index  int
	Dir    string
	Nodes  int
	Edges  int
	Report Report
}

// WriteOptions tunes Write.
type WriteOptions struct {
	// Workers is the number of graphs generated at once (default GOMAXPROCS).
	Workers int
	// Progress, when set, is called after each graph is written, in index
	// order, from the goroutine that called Write.
	Progress func(Summary)
}

// Write generates count data sets with NewDataset(cfg, seed, i) and writes
// them to dir/graph-0000, dir/graph-0001, ... with WriteDir, creating dir if
// needed. It checks cfg, count and dir before writing anything; the output
// depends only on (cfg, count, seed), byte for byte. When ctx is cancelled it
// stops after the graphs in progress (each directory is complete or absent)
// and returns ctx's error.
func Write(ctx context.Context, dir string, cfg Config, count int, seed uint64, opts WriteOptions) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if count < 1 {
		return fmt.Errorf("scm write: graph count must be at least 1, got %d", count)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("scm write: output directory: %w", err)
	}
	probe, err := os.MkdirTemp(dir, ".causeway-probe-")
	if err != nil {
		return fmt.Errorf("scm write: output directory %s is not writable: %w", dir, err)
	}
	os.Remove(probe)

	workers := opts.Workers
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, count)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		sum Summary
		err error
	}
	results := make(chan result)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= count {
					return
				}
				res := result{sum: Summary{Index: i, Dir: filepath.Join(dir, GraphDirName(i))}}
				d, err := NewDataset(cfg, seed, i)
				if err == nil {
					err = WriteDir(res.sum.Dir, d)
				}
				if err != nil {
					res.err = err
				} else {
					res.sum.Nodes, res.sum.Edges, res.sum.Report = d.N(), d.Graph.NumEdges(), d.Report
				}
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() { wg.Wait(); close(results) }()

	pending := map[int]Summary{}
	done := 0
	var firstErr error
	for res := range results {
		if res.err != nil {
			if firstErr == nil {
				firstErr = res.err
				cancel()
			}
			continue
		}
		pending[res.sum.Index] = res.sum
		for {
			s, ok := pending[done]
			if !ok {
				break
			}
			delete(pending, done)
			done++
			if opts.Progress != nil && firstErr == nil {
				opts.Progress(s)
			}
		}
	}
	if firstErr != nil {
		return firstErr
	}
	if done < count {
		return context.Cause(ctx)
	}
	return nil
}
