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
// means DefaultThreshold.
func PredictDataset(ctx context.Context, m *onnxrt.Model, d *scm.Dataset, threshold float64) (*DatasetResult, error) {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	if threshold >= 1 || math.IsNaN(threshold) {
		return nil, fmt.Errorf("threshold %g: want a probability in (0, 1)", threshold)
	}
	n := d.N()
	switch {
	case n < 2:
		return nil, fmt.Errorf("data has %d variable; need at least 2", n)
	case n > m.MaxNodes():
		return nil, fmt.Errorf("data has %d variables; model %s supports at most max_nodes=%d", n, m.Name(), m.MaxNodes())
	case d.ObsRows() == 0:
		return nil, fmt.Errorf("data has no observational rows (rows with an empty %q field)", scm.IntervenedColumn)
	case d.ObsRows() < 2:
		return nil, fmt.Errorf("data has %d observational row; need at least 2", d.ObsRows())
	case len(d.Blocks) == 0:
		return nil, fmt.Errorf("data has no interventional rows (rows naming a variable in the %q column): the model needs samples under an intervention", scm.IntervenedColumn)
	}
	obs := d.ObsRows()
	mean := make([]float32, n)
	for j := 0; j < n; j++ {
		var sum float64
		for i := 0; i < obs; i++ {
			sum += float64(d.Obs[i*n+j])
		}
		mean[j] = float32(sum / float64(obs))
	}
	ins := make([]contract.Pairs, len(d.Blocks))
	for k, b := range d.Blocks {
		if b.Node < 0 || b.Node >= n {
			return nil, fmt.Errorf("block %d intervenes on variable %d of %d", k, b.Node, n)
		}
		s := min(obs, b.Rows(n))
		if s < 2 {
			return nil, fmt.Errorf("block %d (do(%s = %g)) has %d row; need at least 2", k, d.Names[b.Node], b.Value, b.Rows(n))
		}
		in := contract.Pairs{B: 1, S: s, N: n,
			Base: d.Obs[:s*n], Int: b.Data[:s*n],
			Target: mean, Mask: make([]float32, n)}
		in.Mask[b.Node] = 1
		ins[k] = in
	}
	outs, err := runGrouped(ctx, m, ins)
	if err != nil {
		return nil, err
	}
	res := &DatasetResult{Model: m.Name(), Variables: d.Names, Threshold: threshold}
	sum := make([][]float64, n)
	for i := range sum {
		sum[i] = make([]float64, n)
	}
	for k, b := range d.Blocks {
		r := build(m.Name(), d.Names, outs[k].Delta, outs[k].AdjLogits, threshold)
		res.Predictions = append(res.Predictions, BlockPrediction{
			Intervened: d.Names[b.Node], Value: b.Value, Rows: ins[k].S,
			Delta: r.Delta, Adjacency: r.Adjacency, Edges: r.Edges,
		})
		for i := range r.Adjacency {
			for j, p := range r.Adjacency[i] {
				sum[i][j] += float64(p)
			}
		}
	}
	res.AdjacencyMean = make([][]float32, n)
	for i := range sum {
		res.AdjacencyMean[i] = make([]float32, n)
		for j, v := range sum[i] {
			res.AdjacencyMean[i][j] = float32(v / float64(len(d.Blocks)))
		}
	}
	res.EdgesMean = Edges(res.AdjacencyMean, d.Names, threshold)
	return res, nil
}
