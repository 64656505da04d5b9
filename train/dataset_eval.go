package train

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"causeway/contract"
	"causeway/metrics"
	"causeway/model"
	"causeway/nn"
	"causeway/scm"
)

// Held-out queries per data set: half on intervened nodes at the data's
// values, half on nodes the data never intervene on (either half fills in
// for the other when it is empty).
const (
	caseQueries = 16
	// caseEffectSamples is the number of noise draws behind each true effect.
	caseEffectSamples = 2000
)

// DataSetCase is one held-out data set with its truth: the graph, and
// queried interventions with their true expected effects.
type DataSetCase struct {
	N, R                int
	Samples, Intervened []float32
	Adj                 []float32
	Queries             []scm.Intervention
	// Seen[q] says whether query q is an intervention of the data set (the
	// same node at the same value); MeanShift holds the sample mean shift
	// of its rows [Q*N] (the baseline for seen queries; 0 for unseen ones).
	Seen      []bool
	MeanShift []float32
	// Effects are the true expected shifts [Q*N].
	Effects []float32
}

// NewDataSetCase builds the held-out case of a generated data set (d.Graph
// must be set), drawing its queries and true effects from seed.
func NewDataSetCase(d *scm.Dataset, seed uint64) (*DataSetCase, error) {
	if d.Graph == nil {
		return nil, fmt.Errorf("data set has no generating graph: true effects are unknown")
	}
	n := d.N()
	c := &DataSetCase{N: n, Adj: d.Adj}
	c.Samples, c.Intervened, c.R = d.Regimes()
	r := rand.New(rand.NewPCG(seed, uint64(d.Index)))
	intervened := make([]bool, n)
	for _, b := range d.Blocks {
		intervened[b.Node] = true
	}
	var unseen []int
	for k := range n {
		if !intervened[k] {
			unseen = append(unseen, k)
		}
	}
	values := d.Config.Values
	for q := range caseQueries {
		if (q%2 == 1 || len(d.Blocks) == 0) && len(unseen) > 0 {
			c.Queries = append(c.Queries, scm.Intervention{Node: unseen[r.IntN(len(unseen))], Value: values[r.IntN(len(values))]})
			c.Seen = append(c.Seen, false)
			continue
		}
		if len(d.Blocks) == 0 {
			return nil, fmt.Errorf("data set has neither interventions nor unintervened nodes")
		}
		b := d.Blocks[r.IntN(len(d.Blocks))]
		c.Queries = append(c.Queries, scm.Intervention{Node: b.Node, Value: b.Value})
		c.Seen = append(c.Seen, true)
	}
	c.Effects = d.Graph.ExpectedShifts(r, c.Queries, caseEffectSamples)
	c.MeanShift = make([]float32, len(c.Queries)*n)
	obsMean := columnMeans(d.Obs, n)
	for q, qu := range c.Queries {
		if !c.Seen[q] {
			continue
		}
		var rows []float32
		for _, b := range d.Blocks {
			if b.Node == qu.Node && float32(b.Value) == float32(qu.Value) {
				rows = append(rows, b.Data...)
			}
		}
		for j, m := range columnMeans(rows, n) {
			c.MeanShift[q*n+j] = float32(m - obsMean[j])
		}
	}
	return c, nil
}

func columnMeans(rows []float32, n int) []float64 {
	m := make([]float64, n)
	r := len(rows) / n
	for i := range r {
		for j := range n {
			m[j] += float64(rows[i*n+j])
		}
	}
	for j := range m {
		m[j] /= float64(max(r, 1))
	}
	return m
}

// DataSet returns the case as a batch of one in the data-set contract.
func (c *DataSetCase) DataSet() *contract.DataSet {
	d := &contract.DataSet{B: 1, R: c.R, N: c.N, Q: len(c.Queries), Samples: c.Samples, Intervened: c.Intervened,
		QueryMask: make([]float32, len(c.Queries)*c.N), QueryValue: make([]float32, len(c.Queries))}
	for q, qu := range c.Queries {
		d.QueryMask[q*c.N+qu.Node] = 1
		d.QueryValue[q] = float32(qu.Value)
	}
	return d
}

// DataSetCases generates count held-out data sets of the SCM config p with
// seed (scm.NewDataset's graphs 0..count−1) and their cases, in parallel.
func DataSetCases(p scm.Config, count int, seed uint64, workers int) ([]*DataSetCase, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]*DataSetCase, count)
	errs := make([]error, count)
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(workers, max(count, 1)) {
		wg.Go(func() {
			for i := range next {
				d, err := scm.NewDataset(p, seed, i)
				if err == nil {
					out[i], err = NewDataSetCase(d, seed^0xca5e)
				}
				errs[i] = err
			}
		})
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("held-out data set %d: %w", i, err)
		}
	}
	return out, nil
}

// EffectScores compares predicted effects with the truth and a baseline.
type EffectScores struct {
	// Queries is the number of queries scored.
	Queries int `json:"queries"`
	// MSE is the model's mean squared error over the (query, variable)
	// pairs, the queried variable excluded.
	MSE float64 `json:"mse"`
	// BaselineMSE is the baseline's: the zero shift for unseen queries,
	// the sample mean shift for seen ones.
	BaselineMSE float64 `json:"baseline_mse"`
	// Ratio is MSE / BaselineMSE.
	Ratio float64 `json:"ratio"`
}

// DataSetReport scores a data-set model on held-out cases.
type DataSetReport struct {
	// Graph scores the edge probabilities (its delta fields are unused).
	Graph metrics.Report `json:"graph"`
	// Unseen scores queries on nodes the data never intervene on, against
	// the zero shift; Seen scores the data's own interventions, against
	// the sample mean shift.
	Unseen EffectScores `json:"unseen"`
	Seen   EffectScores `json:"seen"`
	// Relations say which kinds of non-edge (reverse edges, ancestors
	// that are not parents, common causes, ...) the predictor confuses with
	// edges, and how much of 1 − AUROC each costs.
	Relations []metrics.RelationScore `json:"relations,omitempty"`
}

// DataSetPredictor runs a data-set model on one batch and returns
// adj_logits [B,N,N] and effect [B,Q,N].
type DataSetPredictor func(*contract.DataSet) (adjLogits, effect []float32, err error)

// NetPredictor returns the training backend's predictor.
func NetPredictor(net *nn.Net) DataSetPredictor {
	return func(d *contract.DataSet) ([]float32, []float32, error) {
		b := &nn.DataSetBatch{B: d.B, N: d.N, Q: d.Q}
		for i := range d.B {
			rn, qn := d.R*d.N, d.Q*d.N
			e := nn.DataSetElement{R: d.R, Samples: d.Samples[i*rn : (i+1)*rn], Intervened: d.Intervened[i*rn : (i+1)*rn],
				QueryValues: d.QueryValue[i*d.Q : (i+1)*d.Q]}
			for q := range d.Q {
				for j, v := range d.QueryMask[i*qn+q*d.N : i*qn+(q+1)*d.N] {
					if v == 1 {
						e.QueryNodes = append(e.QueryNodes, j)
					}
				}
			}
			b.Sets = append(b.Sets, e)
		}
		return net.PredictDataSet(b)
	}
}

// EvaluateDataSets scores the training backend on cases.
func EvaluateDataSets(net *nn.Net, cases []*DataSetCase) (DataSetReport, error) {
	return ScoreDataSets(NetPredictor(net), cases)
}

// ScoreDataSets runs predict on every case and scores it.
func ScoreDataSets(predict DataSetPredictor, cases []*DataSetCase) (DataSetReport, error) {
	var acc metrics.Accumulator
	var rel metrics.RelationAccumulator
	var seen, unseen effectSums
	for i, c := range cases {
		logits, effect, err := predict(c.DataSet())
		if err != nil {
			return DataSetReport{}, fmt.Errorf("data set %d: %w", i, err)
		}
		n := c.N
		probs := make([]float32, n*n)
		for j, l := range logits {
			probs[j] = float32(1 / (1 + math.Exp(-float64(l))))
		}
		zero := make([]float32, n)
		if err := acc.Add(metrics.Prediction{N: n, AdjProbs: probs, TrueAdj: c.Adj, Delta: zero, TrueDelta: zero}); err != nil {
			return DataSetReport{}, fmt.Errorf("data set %d: %w", i, err)
		}
		if err := rel.Add(probs, c.Adj, n); err != nil {
			return DataSetReport{}, fmt.Errorf("data set %d: %w", i, err)
		}
		for q, qu := range c.Queries {
			if c.Effects == nil || math.IsNaN(float64(effect[q*n+(qu.Node+1)%n])) {
				continue // no truth, or a model that cannot answer this query
			}
			s := &unseen
			if c.Seen[q] {
				s = &seen
			}
			s.queries++
			for j := range n {
				if j == qu.Node {
					continue
				}
				t := float64(c.Effects[q*n+j])
				d := float64(effect[q*n+j]) - t
				b := float64(c.MeanShift[q*n+j]) - t
				s.sq += d * d
				s.base += b * b
				s.count++
			}
		}
	}
	return DataSetReport{Graph: acc.Report(), Seen: seen.scores(), Unseen: unseen.scores(), Relations: rel.Report()}, nil
}

type effectSums struct {
	queries, count int
	sq, base       float64
}

func (s effectSums) scores() EffectScores {
	if s.count == 0 {
		return EffectScores{MSE: math.NaN(), BaselineMSE: math.NaN(), Ratio: math.NaN()}
	}
	e := EffectScores{Queries: s.queries, MSE: s.sq / float64(s.count), BaselineMSE: s.base / float64(s.count)}
	e.Ratio = e.MSE / e.BaselineMSE
	return e
}

// StatsBaseline is a non-learned data-set predictor built from Model F's
// statistics (model.DataStats with cfg's floor and clip): the probability
// of i → j is |Partial_ij| when the data never intervene on i, and the mean
// of |Partial_ij| and tanh(|Shift_ij|) when they do (a shift of j under
// do(x_i) makes i an ancestor of j). Its effect is the sample mean shift of
// the rows matching the query (zero when none match): the baselines of
// ScoreDataSets.
func StatsBaseline(cfg model.Config) DataSetPredictor {
	return func(d *contract.DataSet) ([]float32, []float32, error) {
		if err := d.Check(0); err != nil {
			return nil, nil, err
		}
		n, rn := d.N, d.R*d.N
		adj := make([]float32, d.B*n*n)
		eff := make([]float32, d.B*d.Q*n)
		for b := range d.B {
			x, m := model.Float64s(d.Samples[b*rn:(b+1)*rn]), model.Float64s(d.Intervened[b*rn:(b+1)*rn])
			st := model.DataSetStats(cfg, x, m, d.R, n)
			for i := range n {
				for j := range n {
					p := math.Abs(st.Partial[i*n+j])
					if st.Count[i] > 0 {
						p = (p + math.Tanh(math.Abs(st.Shift[i*n+j]))) / 2
					}
					p = math.Min(math.Max(p, 1e-6), 1-1e-6)
					adj[(b*n+i)*n+j] = float32(math.Log(p / (1 - p)))
				}
				adj[(b*n+i)*n+i] = contract.DiagLogit
			}
			for q := range d.Q {
				row := (b*d.Q + q) * n
				k := 0
				for j := range n {
					if d.QueryMask[row+j] == 1 {
						k = j
					}
				}
				_, fixed := st.EffectAffine(k, float64(d.QueryValue[b*d.Q+q]))
				copy(eff[row:row+n], model.Float32s(fixed))
			}
		}
		return adj, eff, nil
	}
}

// MarshalJSON writes undefined scores (NaN: nothing scored) as null.
func (e EffectScores) MarshalJSON() ([]byte, error) {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return json.Marshal(struct {
		Queries     int      `json:"queries"`
		MSE         *float64 `json:"mse"`
		BaselineMSE *float64 `json:"baseline_mse"`
		Ratio       *float64 `json:"ratio"`
	}{e.Queries, num(e.MSE), num(e.BaselineMSE), num(e.Ratio)})
}
