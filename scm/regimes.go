package scm

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Regimes is one whole data set for a data-set model (Model F): the rows of
// every regime of one fresh graph stacked together, each row marked with
// the variables that were set by a hard intervention, plus queried
// interventions with their true expected effects. Matrices are row-major
// float32.
type Regimes struct {
	// N is the number of variables and R the number of rows.
	N, R int
	// Samples holds every row [R*N]: observational rows first, then one
	// block per (target, value).
	Samples []float32
	// Intervened is 1 where that row's variable was set by a hard
	// intervention [R*N]; an all-zero row is observational.
	Intervened []float32
	// Adj is the true adjacency [N*N], [i*N+j] = 1 for the edge i → j.
	Adj []float32
	// Queries are the interventions whose effects are asked for; Seen[q]
	// says whether the data set intervenes on Queries[q].Node at all.
	Queries []Intervention
	Seen    []bool
	// Effects is the true expected shift [len(Queries)*N]:
	// E[X | do(X_k = v)] − E[X] for query q = do(X_k = v) at [q*N:(q+1)*N].
	Effects []float32
	// ObsRows is the number of observational rows.
	ObsRows int
	// Prior names the graph prior the data set was drawn from.
	Prior Prior
}

// RegimePrior is the family of data sets a data-set model trains on: the
// graph priors, the number of regimes and of rows, the intervention values
// and the queries. The zero value is not valid; start from
// DefaultRegimePrior.
type RegimePrior struct {
	// Priors are the graph priors, drawn uniformly per data set.
	Priors []Prior `json:"priors"`
	// EdgeProbMin and EdgeProbMax bound the notebook prior's p (uniform).
	EdgeProbMin float64 `json:"edge_prob_min"`
	EdgeProbMax float64 `json:"edge_prob_max"`
	// DegreeMin and DegreeMax bound the er and sf priors' expected
	// in-degree (uniform; er is capped at (N−1)/2).
	DegreeMin float64 `json:"degree_min"`
	DegreeMax float64 `json:"degree_max"`
	// MinRows and MaxRows bound the rows of every regime (uniform per data
	// set; the observational regime draws its own count).
	MinRows int `json:"min_rows"`
	MaxRows int `json:"max_rows"`
	// MaxTotalRows caps R: rows per block shrink to fit (never below
	// MinRows).
	MaxTotalRows int `json:"max_total_rows"`
	// ObsOnly is the probability that a data set has no interventions;
	// otherwise ceil(N·q) nodes are intervened, q uniform in (0, 1].
	ObsOnly float64 `json:"obs_only"`
	// MaxValues bounds the values per intervened node (1..MaxValues).
	MaxValues int `json:"max_values"`
	// Values is the value set drawn from half of the time (distinct values
	// per node); otherwise values are uniform in ±[ValueMin, ValueMax].
	Values   []float64 `json:"values"`
	ValueMin float64   `json:"value_min"`
	ValueMax float64   `json:"value_max"`
	// Queries is the number of queried interventions per data set; half
	// are on nodes the data set does not intervene on, when there are any.
	Queries int `json:"queries"`
	// EffectSamples is the number of noise draws behind each true effect
	// (common random numbers: the same draws with and without the
	// intervention).
	EffectSamples int `json:"effect_samples"`
	// Weights is the probability of random edge weights (Config.Weights).
	Weights float64 `json:"weights"`
	// NonGaussian is the probability of Laplace or uniform noise instead
	// of Gaussian (half each).
	NonGaussian float64 `json:"non_gaussian"`
}

// DefaultRegimePrior returns Model F's training prior: the notebook, er and
// sf priors, 10–200 rows per regime (at most 6000 in all), no interventions
// in one data set of five and otherwise 1..N intervened nodes with 1–3
// values each, 8 queries with effects from 1000 draws.
func DefaultRegimePrior() RegimePrior {
	return RegimePrior{
		Priors:        []Prior{PriorNotebook, PriorER, PriorSF},
		EdgeProbMin:   0.1,
		EdgeProbMax:   0.4,
		DegreeMin:     1,
		DegreeMax:     3,
		MinRows:       10,
		MaxRows:       200,
		MaxTotalRows:  6000,
		ObsOnly:       0.2,
		MaxValues:     3,
		Values:        []float64{5, 8, 10},
		ValueMin:      1,
		ValueMax:      10,
		Queries:       8,
		EffectSamples: 1000,
		Weights:       0.25,
		NonGaussian:   0.3,
	}
}

// Validate reports every invalid field of p.
func (p RegimePrior) Validate() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if len(p.Priors) == 0 {
		bad("at least one graph prior is needed")
	}
	for _, pr := range p.Priors {
		switch pr {
		case PriorNotebook, PriorER, PriorSF:
		default:
			bad("unknown prior %q (want notebook, er or sf)", pr)
		}
	}
	if !(p.EdgeProbMin >= 0 && p.EdgeProbMin <= p.EdgeProbMax && p.EdgeProbMax <= 1) {
		bad("edge probability range %v–%v: want 0 ≤ min ≤ max ≤ 1", p.EdgeProbMin, p.EdgeProbMax)
	}
	if !(p.DegreeMin >= 0 && p.DegreeMin <= p.DegreeMax) || math.IsInf(p.DegreeMax, 0) {
		bad("degree range %v–%v: want 0 ≤ min ≤ max", p.DegreeMin, p.DegreeMax)
	}
	if p.MinRows < 2 || p.MaxRows < p.MinRows {
		bad("rows per regime %d–%d: want 2 ≤ min ≤ max", p.MinRows, p.MaxRows)
	}
	if p.MaxTotalRows < p.MaxRows {
		bad("max total rows %d: must be at least max rows %d", p.MaxTotalRows, p.MaxRows)
	}
	if !(p.ObsOnly >= 0 && p.ObsOnly <= 1) || !(p.Weights >= 0 && p.Weights <= 1) || !(p.NonGaussian >= 0 && p.NonGaussian <= 1) {
		bad("probabilities must be in [0, 1], got obs_only %v, weights %v, non_gaussian %v", p.ObsOnly, p.Weights, p.NonGaussian)
	}
	if p.MaxValues < 1 {
		bad("max values %d: must be at least 1", p.MaxValues)
	}
	if len(p.Values) < p.MaxValues {
		bad("the value set has %d values, fewer than max values %d", len(p.Values), p.MaxValues)
	}
	for _, v := range p.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad("values must be finite, got %v", v)
			break
		}
	}
	if !(p.ValueMin >= 0 && p.ValueMin <= p.ValueMax) || math.IsInf(p.ValueMax, 0) {
		bad("value range %v–%v: want 0 ≤ min ≤ max", p.ValueMin, p.ValueMax)
	}
	if p.Queries < 0 {
		bad("queries %d: must be ≥ 0", p.Queries)
	}
	if p.EffectSamples < 1 {
		bad("effect samples %d: must be at least 1", p.EffectSamples)
	}
	if len(errs) > 0 {
		return errors.New("scm regime prior: " + strings.Join(errs, "; "))
	}
	return nil
}

// NewRegimes draws one data set of n variables from p, fully determined by
// (p, n, seed, index).
func NewRegimes(p RegimePrior, n int, seed uint64, index int) (*Regimes, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, fmt.Errorf("scm regimes: nodes must be at least 2, got %d", n)
	}
	var w worker
	w.rng = rand.New(&w.pcg)
	w.pcg.Seed(streamSeed(seed, domainRegimes, uint64(index)))
	return w.regimes(p, n), nil
}

// regimes draws one data set from w's stream.
func (w *worker) regimes(p RegimePrior, n int) *Regimes {
	r := w.rng
	cfg := DefaultConfig()
	cfg.Nodes = n
	cfg.Prior = p.Priors[r.IntN(len(p.Priors))]
	cfg.EdgeProb = p.EdgeProbMin + (p.EdgeProbMax-p.EdgeProbMin)*r.Float64()
	cfg.Degree = min(p.DegreeMin+(p.DegreeMax-p.DegreeMin)*r.Float64(), float64(n-1)/2)
	cfg.Weights = r.Float64() < p.Weights
	if r.Float64() < p.NonGaussian {
		cfg.Noise = []string{NoiseLaplace, NoiseUniform}[r.IntN(2)]
	}
	g := newGraph(cfg, n, r)

	rows := func() int { return p.MinRows + r.IntN(p.MaxRows-p.MinRows+1) }
	obs := rows()
	var targets []int
	if r.Float64() >= p.ObsOnly {
		q := 1 - r.Float64() // (0, 1]
		targets = r.Perm(n)[:min(n, max(1, int(math.Ceil(float64(n)*q-1e-9))))]
	}
	type block struct {
		node  int
		value float64
	}
	var blocks []block
	drawValues := func(count int) []float64 {
		vs := make([]float64, 0, count)
		if r.IntN(2) == 0 {
			for _, i := range r.Perm(len(p.Values))[:count] {
				vs = append(vs, p.Values[i])
			}
			return vs
		}
		for range count {
			v := p.ValueMin + (p.ValueMax-p.ValueMin)*r.Float64()
			if r.IntN(2) == 0 {
				v = -v
			}
			vs = append(vs, float64(float32(v)))
		}
		return vs
	}
	for _, k := range targets {
		for _, v := range drawValues(1 + r.IntN(p.MaxValues)) {
			blocks = append(blocks, block{k, v})
		}
	}
	per := rows()
	if len(blocks) > 0 {
		per = max(p.MinRows, min(per, (p.MaxTotalRows-obs)/len(blocks)))
	}
	R := obs + per*len(blocks)
	d := &Regimes{N: n, R: R, ObsRows: obs, Prior: cfg.Prior,
		Samples: make([]float32, R*n), Intervened: make([]float32, R*n), Adj: g.Adjacency()}

	sample := func(rowsOff, s, k int, v float64) {
		w.xb = resize(w.xb, n*s)
		g.noise(w.xb, s, &w.pcg)
		w.cache = resize(w.cache, g.slots*s)
		g.simulate(w.xb, s, k, v, w.cache)
		transpose(d.Samples[rowsOff*n:(rowsOff+s)*n], w.xb, n, s)
		if k >= 0 {
			for i := range s {
				d.Intervened[(rowsOff+i)*n+k] = 1
			}
		}
	}
	sample(0, obs, -1, 0)
	for i, b := range blocks {
		sample(obs+i*per, per, b.node, b.value)
	}

	// Queries: half on nodes the data never intervene on (when there are
	// any), the rest on intervened nodes, at a value of the data half of
	// the time.
	seen := make([]bool, n)
	for _, k := range targets {
		seen[k] = true
	}
	var unseenNodes []int
	for k := range n {
		if !seen[k] {
			unseenNodes = append(unseenNodes, k)
		}
	}
	for q := range p.Queries {
		var node int
		var value float64
		switch {
		case len(targets) == 0 || (q%2 == 0 && len(unseenNodes) > 0):
			node = unseenNodes[r.IntN(len(unseenNodes))]
			value = drawValues(1)[0]
		default:
			b := blocks[r.IntN(len(blocks))]
			node, value = b.node, b.value
			if r.IntN(2) == 0 {
				value = drawValues(1)[0]
			}
		}
		d.Queries = append(d.Queries, Intervention{Node: node, Value: value})
		d.Seen = append(d.Seen, seen[node])
	}
	d.Effects = w.expectedShifts(g, d.Queries, p.EffectSamples)
	return d
}

// ExpectedShifts returns E[X | do] − E[X] for every intervention of dos
// ([len(dos)*N], row q for dos[q]), estimated from samples noise draws with
// common random numbers: the same draws give the observational and every
// interventional outcome, so non-descendants of the target shift by exactly
// 0 and the estimate's variance is that of the unit-level effect only.
func (g *Graph) ExpectedShifts(r *rand.Rand, dos []Intervention, samples int) []float32 {
	for _, do := range dos {
		if do.Node < 0 || do.Node >= g.N {
			panic(fmt.Sprintf("scm: ExpectedShifts: intervention on node %d of a %d-node graph", do.Node, g.N))
		}
	}
	var w worker
	w.rng = rand.New(&w.pcg)
	w.pcg.Seed(r.Uint64(), r.Uint64())
	return w.expectedShifts(g, dos, samples)
}

func (w *worker) expectedShifts(g *Graph, dos []Intervention, s int) []float32 {
	n := g.N
	out := make([]float32, len(dos)*n)
	if len(dos) == 0 {
		return out
	}
	noise := make([]float64, n*s)
	g.noise(noise, s, &w.pcg)
	base := append([]float64(nil), noise...)
	w.cache = resize(w.cache, g.slots*s)
	g.simulate(base, s, -1, 0, w.cache)
	x := make([]float64, n*s)
	for q, do := range dos {
		copy(x, noise)
		g.simulate(x, s, do.Node, do.Value, w.cache)
		for j := range n {
			var sum float64
			xs, bs := x[j*s:(j+1)*s], base[j*s:(j+1)*s]
			for i := range xs {
				sum += xs[i] - bs[i]
			}
			out[q*n+j] = float32(sum / float64(s))
		}
	}
	return out
}

// Regimes returns the data set's rows as the data-set contract lays them
// out: samples and intervened [r*N], the observational rows first, then
// every block in order with its intervened variable marked.
func (d *Dataset) Regimes() (samples, intervened []float32, r int) {
	n := d.N()
	r = d.ObsRows()
	for _, b := range d.Blocks {
		r += b.Rows(n)
	}
	samples = make([]float32, 0, r*n)
	intervened = make([]float32, r*n)
	samples = append(samples, d.Obs...)
	row := d.ObsRows()
	for _, b := range d.Blocks {
		samples = append(samples, b.Data...)
		for i := range b.Rows(n) {
			intervened[(row+i)*n+b.Node] = 1
		}
		row += b.Rows(n)
	}
	return samples, intervened, r
}
