package scm

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Dataset is one graph's data as `causeway scm` writes it: observational rows
// followed by interventional blocks, with the degeneracy report of the values.
// Matrices are row-major float32 over the N variables named by Names.
type Dataset struct {
	// Names are the variable names (x0..x{N−1} for generated data).
	Names []string
	// Obs holds the observational rows [ObsRows*N].
	Obs []float32
	// Blocks are the interventional sets, in file order.
	Blocks []Block
	// Adj is the true adjacency [N*N] ([i*N+j] = 1 for i → j), or nil when
	// unknown (a data.csv read without its adjacency.csv).
	Adj []float32
	// Report describes clipping and near-constant columns of the values
	// before any standardisation.
	Report Report

	// Graph, Config, Seed and Index record how a generated data set was
	// made; Graph is nil for data read from files.
	Graph  *Graph
	Config Config
	Seed   uint64
	Index  int
	// Mean and Std are the per-variable statistics of the observational
	// rows that standardisation removed (nil unless Config.Standardize);
	// raw = standardised·Std + Mean.
	Mean, Std []float64

	rawValues []float64 // each block's intervention value before standardisation
}

// Block is the rows sampled under one hard intervention.
type Block struct {
	// Node is the intervened variable (an index into Names).
	Node int
	// Value is the intervened variable's value as stored in Data (float32;
	// standardised when the data are, while scm.json keeps the raw value).
	Value float64
	// Data holds the rows [Rows()*N].
	Data []float32
}

// N returns the number of variables.
func (d *Dataset) N() int { return len(d.Names) }

// ObsRows returns the number of observational rows.
func (d *Dataset) ObsRows() int { return len(d.Obs) / max(d.N(), 1) }

// Rows returns the number of rows of the block of a data set with n variables.
func (b Block) Rows(n int) int { return len(b.Data) / max(n, 1) }

// Report is the degeneracy report of a data set: how many values hit the
// notebook's ±Clip clamp and how many columns are near-constant (sample std <
// ConstantStd). Intervened columns of interventional blocks are left out of
// both counts (they are constant by design).
type Report struct {
	// Values counts the values examined and Clipped those at ±Clip.
	Values  int `json:"values"`
	Clipped int `json:"clipped"`
	// ObsColumns and ObsConstant count the observational columns and the
	// near-constant ones.
	ObsColumns  int `json:"obs_columns"`
	ObsConstant int `json:"obs_constant"`
	// IntColumns and IntConstant count the same over interventional blocks.
	IntColumns  int `json:"int_columns"`
	IntConstant int `json:"int_constant"`
}

// ClipFraction returns Clipped/Values (0 for no values).
func (r Report) ClipFraction() float64 { return ratio(r.Clipped, r.Values) }

// ConstantFraction returns the fraction of near-constant columns, over the
// observational and interventional columns together.
func (r Report) ConstantFraction() float64 {
	return ratio(r.ObsConstant+r.IntConstant, r.ObsColumns+r.IntColumns)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Add returns the sum of two reports, for totals over many data sets.
func (r Report) Add(o Report) Report {
	return Report{
		Values: r.Values + o.Values, Clipped: r.Clipped + o.Clipped,
		ObsColumns: r.ObsColumns + o.ObsColumns, ObsConstant: r.ObsConstant + o.ObsConstant,
		IntColumns: r.IntColumns + o.IntColumns, IntConstant: r.IntConstant + o.IntConstant,
	}
}

// String formats the report as "clipped 12.3%, constant columns 2/20 obs, 5/590 int".
func (r Report) String() string {
	return fmt.Sprintf("clipped %.1f%%, constant columns %d/%d obs, %d/%d int",
		100*r.ClipFraction(), r.ObsConstant, r.ObsColumns, r.IntConstant, r.IntColumns)
}

// NewDataset generates graph number index of the run seeded by seed, as
// `causeway scm` does: a graph from cfg's prior, cfg.Samples observational
// rows, then, for each of ceil(N·q) distinct random targets and each of
// cfg.Values in order, a block of cfg.Samples rows under do(target = value).
// With the random pairing every block has fresh noise (the notebook); with
// the counterfactual pairing every block reuses the observational rows'
// noise, so block row s is observational row s's unit under the intervention.
// The result depends only on (cfg, seed, index).
func NewDataset(cfg Config, seed uint64, index int) (*Dataset, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if index < 0 {
		return nil, fmt.Errorf("scm dataset: index must be ≥ 0, got %d", index)
	}
	p := rand.NewPCG(streamSeed(seed, domainDataset, uint64(index)))
	r := rand.New(p)
	n, s := cfg.Nodes, cfg.Samples
	g := newGraph(cfg, n, r)
	d := &Dataset{
		Names:  VariableNames(n),
		Adj:    g.Adjacency(),
		Graph:  g,
		Config: cfg,
		Seed:   seed,
		Index:  index,
	}
	noise := make([]float64, n*s)
	g.noise(noise, s, p)
	x := make([]float64, n*s)
	copy(x, noise)
	cache := make([]float64, g.slots*s)
	g.simulate(x, s, -1, 0, cache)
	d.Report = colReport(x, n, s, -1)
	var z standardizer
	if cfg.Standardize {
		z.fit(x, n, s)
		z.apply(x, n, s)
		d.Mean, d.Std = z.mean, z.scale
	}
	targets := r.Perm(n)[:cfg.targets()]
	slab := make([]float32, (1+len(targets)*len(cfg.Values))*n*s)
	d.Obs = slab[: n*s : n*s]
	transpose(d.Obs, x, n, s)
	for _, k := range targets {
		for _, v := range cfg.Values {
			if cfg.Pairing == PairingCounterfactual {
				copy(x, noise)
			} else {
				g.noise(x, s, p)
			}
			g.simulate(x, s, k, v, cache)
			d.Report = d.Report.Add(colReport(x, n, s, k))
			if cfg.Standardize {
				z.apply(x, n, s)
			}
			i := len(d.Blocks) + 1
			b := Block{Node: k, Value: float64(float32(x[k*s])), Data: slab[i*n*s : (i+1)*n*s : (i+1)*n*s]}
			transpose(b.Data, x, n, s)
			d.Blocks = append(d.Blocks, b)
			d.rawValues = append(d.rawValues, v)
		}
	}
	return d, nil
}

// VariableNames returns the generated variables' names x0..x{n−1}.
func VariableNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("x%d", i)
	}
	return out
}

// colReport is the report of one column-major block of n columns of s
// values, leaving out column skip (the intervened one; −1 for none).
func colReport(x []float64, n, s, skip int) Report {
	var r Report
	for j := range n {
		if j == skip {
			continue
		}
		col := x[j*s : (j+1)*s]
		clipped, sd := clipStd(col)
		r.Clipped += clipped
		r.Values += s
		constant := 0
		if sd < ConstantStd {
			constant = 1
		}
		if skip < 0 {
			r.ObsColumns++
			r.ObsConstant += constant
		} else {
			r.IntColumns++
			r.IntConstant += constant
		}
	}
	return r
}

// clipStd counts the values of col at ±Clip and returns its unbiased sample
// std, in one pass (sums shifted by the first value, so the variance of a
// column far from 0 keeps its precision).
func clipStd(col []float64) (clipped int, std float64) {
	if len(col) < 2 {
		return 0, 0
	}
	x0 := col[0]
	var s1, s2 float64
	for _, y := range col {
		if y >= Clip || y <= -Clip {
			clipped++
		}
		d := y - x0
		s1 += d
		s2 += d * d
	}
	m := float64(len(col))
	v := (s2 - s1*s1/m) / (m - 1)
	return clipped, math.Sqrt(max(v, 0))
}

// report computes the Report of d's values as stored (used for data read
// from files, where the clamp can only be recognised by |x| ≥ Clip).
func (d *Dataset) report() Report {
	n := d.N()
	var x []float64
	toCols := func(rows []float32) int {
		s := len(rows) / n
		x = resize(x, n*s)
		for i := range s {
			for j := range n {
				x[j*s+i] = float64(rows[i*n+j])
			}
		}
		return s
	}
	s := toCols(d.Obs)
	r := colReport(x, n, s, -1)
	for _, b := range d.Blocks {
		s := toCols(b.Data)
		r = r.Add(colReport(x, n, s, b.Node))
	}
	return r
}

// Episodes turns the data set into a batch with one element per
// interventional block, in file order: base_samples are the observational
// rows, int_samples the block's rows, the target row a random observational
// row and delta a random block row minus it (the same row index when the data
// were written with the counterfactual pairing, so delta is that unit's
// effect). The rows are drawn with seed. Every block must have as many rows as
// the observational set. Adj is zero when d.Adj is unknown.
func (d *Dataset) Episodes(seed uint64) (*Batch, error) {
	n, s := d.N(), d.ObsRows()
	if len(d.Blocks) == 0 {
		return nil, fmt.Errorf("scm episodes: the data set has no interventional blocks")
	}
	for i, b := range d.Blocks {
		if rows := b.Rows(n); rows != s {
			return nil, fmt.Errorf("scm episodes: block %d (do(%s = %g)) has %d rows but the observational set has %d; episodes need equal sizes",
				i, d.Names[b.Node], b.Value, rows, s)
		}
	}
	r := newRand(seed, domainEpisode, 1)
	bt := newBatch(0, len(d.Blocks), s, n)
	for k, blk := range d.Blocks {
		ep := bt.Episode(k)
		copy(ep.Base, d.Obs)
		copy(ep.Int, blk.Data)
		if d.Adj != nil {
			copy(ep.Adj, d.Adj)
		}
		b := r.IntN(s)
		j := r.IntN(s)
		if d.Config.Pairing == PairingCounterfactual {
			j = b
		}
		copy(ep.Target, ep.Base[b*n:(b+1)*n])
		for v := range n {
			ep.Delta[v] = ep.Int[j*n+v] - ep.Target[v]
		}
		ep.Mask[blk.Node] = 1
		bt.Nodes[k], bt.Values[k] = blk.Node, blk.Value
		bt.BaseRows[k], bt.IntRows[k] = b, j
	}
	return bt, nil
}
