package onnxrt

import (
	"context"
	"fmt"
	"slices"

	"causeway/contract"
	"causeway/model"
)

// DataSet reports whether the model reads whole data sets (the data-set
// contract of package contract) rather than sample pairs.
func (m *Model) DataSet() bool { return m.cfg.Variant.DataSet() }

// DataSetOutputs are a data-set model's results: AdjLogits [B,N,N] and
// Effect [B,Q,N]. The slices belong to the caller.
type DataSetOutputs struct {
	AdjLogits, Effect []float32
}

// RunDataSet validates d (contract.DataSet.Check against max_nodes) and
// runs the data-set model on it, giving up when ctx ends (see RunContext).
func (m *Model) RunDataSet(ctx context.Context, d *contract.DataSet) (DataSetOutputs, error) {
	if !m.DataSet() {
		return DataSetOutputs{}, fmt.Errorf("onnxrt: %s is Model %s, which takes sample pairs, not a data set", m.name, m.cfg.Variant)
	}
	if err := d.Check(m.cfg.MaxNodes); err != nil {
		return DataSetOutputs{}, fmt.Errorf("onnxrt: %s: %w", m.name, err)
	}
	s := m.pool.Get().(*state)
	out, err := m.runDataSet(ctx, s, d)
	if err != nil {
		return DataSetOutputs{}, fmt.Errorf("onnxrt: %s: %w", m.name, err)
	}
	s.reset(m.plan)
	m.pool.Put(s)
	return out, nil
}

func (m *Model) runDataSet(ctx context.Context, s *state, d *contract.DataSet) (DataSetOutputs, error) {
	p := m.plan
	for i, in := range []struct {
		data  []float32
		shape []int
	}{
		{d.Samples, []int{d.B, d.R, d.N}},
		{d.Intervened, []int{d.B, d.R, d.N}},
		{d.QueryMask, []int{d.B, d.Q, d.N}},
		{d.QueryValue, []int{d.B, d.Q}},
	} {
		t := &s.vals[p.inputs[i]]
		t.dtype, t.f, t.i = dtFloat, in.data, nil
		t.shape = append(t.shape[:0], in.shape...)
	}
	if err := m.runNodes(ctx, s); err != nil {
		return DataSetOutputs{}, err
	}
	adj, eff := &s.vals[p.outputs[0]], &s.vals[p.outputs[1]]
	if adj.dtype != dtFloat || !slices.Equal(adj.shape, []int{d.B, d.N, d.N}) {
		return DataSetOutputs{}, fmt.Errorf("output %s has shape %v, want [%d,%d,%d]", contract.AdjLogits, adj.shape, d.B, d.N, d.N)
	}
	if eff.dtype != dtFloat || !slices.Equal(eff.shape, []int{d.B, d.Q, d.N}) {
		return DataSetOutputs{}, fmt.Errorf("output %s has shape %v, want [%d,%d,%d]", contract.Effect, eff.shape, d.B, d.Q, d.N)
	}
	return DataSetOutputs{AdjLogits: append([]float32(nil), adj.f...), Effect: append([]float32(nil), eff.f...)}, nil
}

// WorkingBytes estimates the working memory of one run, in bytes, for a
// batch of b elements of rows samples (S, or R for a data-set model) over n
// variables with q queries each (a data-set model's Q; ignored for the
// sample-pair contract): the largest intermediate tensors (the feed-forward
// hidden layer and the attention weights, a few of each alive at once) plus
// the inputs. It is an upper-bound guide for admission control, not a
// count: TestDataSetWorkingBytesBound holds it between 1 and 3 times what a
// data-set run allocates.
func (m *Model) WorkingBytes(b, rows, n, q int) int64 {
	c := m.cfg
	bb, rr, nn, qq := int64(b), int64(rows), int64(n), int64(max(q, 1))
	wide := int64(max(c.FF, 4*c.DModel))
	heads := int64(c.Heads)
	var elems int64
	if c.Variant.DataSet() {
		// The pair tokens (one per ordered pair) through the axial blocks:
		// features, embeddings, the QKV projection and the feed-forward
		// hidden layer; about 10·DModel floats a token were allocated, and
		// 4·max(FF, 4·DModel) is at least 16·DModel.
		pairs := 4 * bb * nn * nn * wide
		// The inputs and the statistics over the rows: about a dozen
		// [B,R,N] tensors are allocated (standardised values, their
		// squares, weighted copies and transposes, the pooled Gram's
		// inputs) beside the inputs' two.
		rowTensors := int64(dataSetRowTensors)
		if c.StatsVersion() >= 3 {
			rowTensors += dataSetRowTensorsV3
		}
		if c.StatsVersion() >= 4 {
			rowTensors += dataSetRowTensorsV4
		}
		stats := rowTensors * bb * rr * nn
		if c.StatsVersion() >= 4 {
			// The additive dependences' Newton–Schulz iterations over the
			// [B,4N,4N] basis Gram: a few such matrices alive at once.
			k := int64(model.AdditiveBasis) * nn
			stats += dataSetBasisGrams * bb * k * k
		}
		// Per query: the row matching of the query statistics (x_k,
		// intervened_k, the distance chain, match and its transpose, each
		// [B,R,Q], a few alive at once), and the effect head's tokens (one
		// per variable, as wide as the pair tokens) through its blocks.
		queries := dataSetQueryRowTensors*bb*rr*qq + 4*bb*qq*nn*wide
		elems = pairs + stats + queries
		if m.scores {
			// Unfused attention materialises its weights [B·N,H,N,N] per
			// axial block, and [B·Q,H,N,N] in the effect head.
			elems += 3*bb*heads*nn*nn*nn + 3*bb*qq*heads*nn*nn
		}
	} else {
		tokens := bb * nn
		elems = 3*tokens*wide + 3*bb*heads*nn*nn + 4*bb*rr*nn
	}
	return 4 * elems
}

// The row-scaled terms of a data-set run's working memory, in [B,R,N] and
// [B,R,Q] tensors: measured allocation (TestDataSetWorkingBytesBound) is
// about 12 and 3.3 of them beside the inputs' 2 [B,R,N] in statistics
// version 2, and about 19 [B,R,N] in version 3 (the correlation ratios' tent
// bins and their transposes, the joint Gram's inputs), and about 27 in
// version 4 (its basis of 4N columns, centred, squared and transposed, and
// the tents' chains); the estimate keeps a margin over each.
const (
	dataSetRowTensors      = 18
	dataSetRowTensorsV3    = 10
	dataSetRowTensorsV4    = 14
	dataSetBasisGrams      = 6
	dataSetQueryRowTensors = 5
)
