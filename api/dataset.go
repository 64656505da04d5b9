package api

import (
	"context"
	"fmt"
	"math"

	"causeway/contract"
	"causeway/onnxrt"
	"causeway/scm"
)

// BlockPrediction is the prediction for one interventional block of a data
// set.
type BlockPrediction struct {
	// Intervened names the block's intervened variable and Value its value
	// there (the first row's).
	Intervened string  `json:"intervened"`
	Value      float64 `json:"value"`
	// Rows is the number of samples S used from each of the observational
	// rows and the block (the smaller of the two counts: the model takes
	// equally many of both, the first S rows).
	Rows int `json:"rows"`
	// Delta is the predicted shift of the observational mean under the
	// intervention.
	Delta []float32 `json:"delta"`
	// Adjacency and Edges are as in Response.
	Adjacency [][]float32 `json:"adjacency"`
	Edges     []Edge      `json:"edges"`
}

// DatasetResult is the prediction for a whole data set: one per
// interventional block and their average.
type DatasetResult struct {
	Model       string            `json:"model"`
	Variables   []string          `json:"variables"`
	Threshold   float64           `json:"threshold"`
	Predictions []BlockPrediction `json:"predictions"`
	// AdjacencyMean averages Adjacency over the blocks, and EdgesMean
	// lists its pairs above Threshold.
	AdjacencyMean [][]float32 `json:"adjacency_mean"`
	EdgesMean     []Edge      `json:"edges_mean"`
}

// PredictDataset predicts the graph of a data set in the `causeway scm`
// layout (scm.ReadCSV / scm.LoadDataset): for every interventional block,
// the observational rows as base_samples, the block's rows as int_samples,
// the block's variable as the intervened node and the observational mean
// as the target row. Blocks of equal size run as one batch. threshold ≤ 0
// means DefaultThreshold. PredictDatasetCSV gives the same result from a
// data.csv while holding one block at a time.
func PredictDataset(ctx context.Context, m *onnxrt.Model, d *scm.Dataset, threshold float64) (*DatasetResult, error) {
	threshold, err := checkThreshold(threshold)
	if err != nil {
		return nil, err
	}
	if err := checkVariables(m, d.N()); err != nil {
		return nil, err
	}
	p, err := newBlockPredictor(m, d.Names, d.Obs, threshold)
	if err != nil {
		return nil, err
	}
	if len(d.Blocks) == 0 {
		return nil, errNoBlocks
	}
	ins := make([]contract.Pairs, len(d.Blocks))
	for k, b := range d.Blocks {
		if ins[k], err = p.pairs(k, b); err != nil {
			return nil, err
		}
	}
	outs, err := runGrouped(ctx, m, ins)
	if err != nil {
		return nil, err
	}
	for k, b := range d.Blocks {
		p.add(b.Node, b.Value, ins[k].S, outs[k])
	}
	return p.result(), nil
}

// errNoBlocks is the error of a data set without interventional rows.
var errNoBlocks = fmt.Errorf("data has no interventional rows (rows naming a variable in the %q column): the model needs samples under an intervention", scm.IntervenedColumn)

// checkThreshold returns threshold, DefaultThreshold for threshold ≤ 0, or
// an error for one not below 1.
func checkThreshold(threshold float64) (float64, error) {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	if threshold >= 1 || math.IsNaN(threshold) {
		return 0, fmt.Errorf("threshold %g: want a probability in (0, 1)", threshold)
	}
	return threshold, nil
}

// checkVariables refuses data with n variables that model m cannot take.
func checkVariables(m *onnxrt.Model, n int) error {
	switch {
	case n < 2:
		return fmt.Errorf("data has %d variable; need at least 2", n)
	case n > m.MaxNodes():
		return fmt.Errorf("data has %d variables; model %s supports at most max_nodes=%d", n, m.Name(), m.MaxNodes())
	}
	return nil
}

// blockPredictor predicts a data set block by block with a sample-pair
// model and gathers the per-block predictions and their mean.
type blockPredictor struct {
	m         *onnxrt.Model
	names     []string
	threshold float64
	obs       []float32 // the observational rows [obsRows·N]
	mean      []float32 // their mean, the target row
	res       *DatasetResult
	sum       [][]float64 // Σ adjacency over the blocks added

	// batch holds copies of the queued blocks (see run), queued their
	// variables and values.
	batch  contract.Pairs
	queued []queuedBlock
}

// queuedBlock is a block waiting in blockPredictor.batch.
type queuedBlock struct {
	node  int
	value float64
}

// streamBatchBytes bounds the rows of the blocks a streaming prediction
// runs as one batch (their int_samples; their base_samples take as much
// again): many small blocks then cost what PredictDataset's batches cost,
// and a block larger than this runs on its own.
const streamBatchBytes = 1 << 20

// newBlockPredictor checks the observational rows obs of a data set over
// names and returns a predictor for its blocks.
func newBlockPredictor(m *onnxrt.Model, names []string, obs []float32, threshold float64) (*blockPredictor, error) {
	n := len(names)
	rows := len(obs) / n
	switch {
	case rows == 0:
		return nil, fmt.Errorf("data has no observational rows (rows with an empty %q field)", scm.IntervenedColumn)
	case rows < 2:
		return nil, fmt.Errorf("data has %d observational row; need at least 2", rows)
	}
	mean := make([]float32, n)
	for j := 0; j < n; j++ {
		var sum float64
		for i := 0; i < rows; i++ {
			sum += float64(obs[i*n+j])
		}
		mean[j] = float32(sum / float64(rows))
	}
	p := &blockPredictor{m: m, names: names, threshold: threshold, obs: obs, mean: mean,
		res: &DatasetResult{Model: m.Name(), Variables: names, Threshold: threshold}, sum: make([][]float64, n)}
	for i := range p.sum {
		p.sum[i] = make([]float64, n)
	}
	return p, nil
}

// pairs returns the model's input for block number k: its first S rows
// and the first S observational rows, S the smaller of the two counts.
// The input aliases b.Data and the observational rows.
func (p *blockPredictor) pairs(k int, b scm.Block) (contract.Pairs, error) {
	n := len(p.names)
	if b.Node < 0 || b.Node >= n {
		return contract.Pairs{}, fmt.Errorf("block %d intervenes on variable %d of %d", k, b.Node, n)
	}
	s := min(len(p.obs)/n, b.Rows(n))
	if s < 2 {
		return contract.Pairs{}, fmt.Errorf("block %d (do(%s = %g)) has %d row; need at least 2", k, p.names[b.Node], b.Value, b.Rows(n))
	}
	in := contract.Pairs{B: 1, S: s, N: n, Base: p.obs[:s*n], Int: b.Data[:s*n], Target: p.mean, Mask: make([]float32, n)}
	in.Mask[b.Node] = 1
	return in, nil
}

// run predicts block number k, whose data the caller may reuse once run
// returns: consecutive blocks of one size are copied into a batch while
// their rows fit streamBatchBytes (at most MaxBatch blocks) and run
// together when the next does not fit or flush is called; a block larger
// than streamBatchBytes runs at once, on its own. Its memory is so bounded
// by the larger of one block and streamBatchBytes (twice, with the
// observational rows the batch pairs with it).
func (p *blockPredictor) run(ctx context.Context, k int, b scm.Block) error {
	in, err := p.pairs(k, b)
	if err != nil {
		return err
	}
	n := len(p.names)
	size := 4 * in.S * n
	if size > streamBatchBytes {
		if err := p.flush(ctx); err != nil {
			return err
		}
		out, err := p.m.RunContext(ctx, in)
		if err != nil {
			return err
		}
		p.add(b.Node, b.Value, in.S, out)
		return nil
	}
	if q := len(p.queued); q > 0 && (in.S != p.batch.S || q == MaxBatch || (q+1)*size > streamBatchBytes) {
		if err := p.flush(ctx); err != nil {
			return err
		}
	}
	if p.batch.Base == nil { // the batch's buffers, reused for every batch
		p.batch.Base = make([]float32, 0, streamBatchBytes/4)
		p.batch.Int = make([]float32, 0, streamBatchBytes/4)
		p.batch.Target = make([]float32, 0, MaxBatch*n)
		p.batch.Mask = make([]float32, 0, MaxBatch*n)
	}
	p.batch.B++
	p.batch.S, p.batch.N = in.S, n
	p.batch.Base = append(p.batch.Base, in.Base...)
	p.batch.Int = append(p.batch.Int, in.Int...)
	p.batch.Target = append(p.batch.Target, in.Target...)
	p.batch.Mask = append(p.batch.Mask, in.Mask...)
	p.queued = append(p.queued, queuedBlock{b.Node, b.Value})
	return nil
}

// flush runs the queued blocks (see run) and adds their predictions.
func (p *blockPredictor) flush(ctx context.Context) error {
	if len(p.queued) == 0 {
		return nil
	}
	out, err := p.m.RunContext(ctx, p.batch)
	if err != nil {
		return err
	}
	n, s := len(p.names), p.batch.S
	for e, q := range p.queued {
		p.add(q.node, q.value, s, onnxrt.Outputs{Delta: out.Delta[e*n : (e+1)*n], AdjLogits: out.AdjLogits[e*n*n : (e+1)*n*n]})
	}
	p.queued = p.queued[:0]
	p.batch.B = 0
	p.batch.Base, p.batch.Int, p.batch.Target, p.batch.Mask = p.batch.Base[:0], p.batch.Int[:0], p.batch.Target[:0], p.batch.Mask[:0]
	return nil
}

// add adds the model's outputs out for the block do(node = value), run on
// s rows.
func (p *blockPredictor) add(node int, value float64, s int, out onnxrt.Outputs) {
	r := build(p.m.Name(), p.names, out.Delta, out.AdjLogits, p.threshold)
	p.res.Predictions = append(p.res.Predictions, BlockPrediction{
		Intervened: p.names[node], Value: value, Rows: s,
		Delta: r.Delta, Adjacency: r.Adjacency, Edges: r.Edges,
	})
	for i := range r.Adjacency {
		for j, v := range r.Adjacency[i] {
			p.sum[i][j] += float64(v)
		}
	}
}

// result returns the predictions added, with their mean.
func (p *blockPredictor) result() *DatasetResult {
	res, n := p.res, len(p.names)
	res.AdjacencyMean = make([][]float32, n)
	for i := range p.sum {
		res.AdjacencyMean[i] = make([]float32, n)
		for j, v := range p.sum[i] {
			res.AdjacencyMean[i][j] = float32(v / float64(len(res.Predictions)))
		}
	}
	res.EdgesMean = Edges(res.AdjacencyMean, p.names, p.threshold)
	return res
}
