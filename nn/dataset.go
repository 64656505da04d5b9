package nn

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"gorgonia.org/gorgonia"

	"causeway/contract"
	"causeway/model"
)

// Model F in the training backend. Its statistics are data (no gradient), so
// the graph takes them as inputs, computed from each data set by
// model.DataSetStats before the run: a graph depends on (B, N, Q) only, and
// every element of a batch may have its own number of rows.

// DataSetBatch is one batch of data sets with the same N and Q, and (for
// training) their targets.
type DataSetBatch struct {
	B, N, Q int
	// Sets are the B data sets (each R×N with its own R).
	Sets []DataSetElement

	// prepared holds the statistics Prepare computed, for preparedFor.
	prepared    []dataInputs
	preparedFor model.Config
}

// Prepare computes the statistics of every data set of b for the
// configuration cfg (model.DataSetStats, in parallel), so that a step or a
// prediction with cfg reuses them instead of computing them itself: a
// training loop prepares the next batch while the current step runs. The
// values are the same either way. A batch changed after Prepare must be
// prepared again (or not at all). A batch the step would refuse is left
// unprepared, for the step to report.
func (b *DataSetBatch) Prepare(cfg model.Config) {
	if b.check(cfg, false) != nil {
		return
	}
	in := make([]dataInputs, len(b.Sets))
	parFor(len(b.Sets), 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			in[i] = b.inputs(cfg, i)
		}
	})
	b.prepared, b.preparedFor = in, cfg
}

// statistics returns the inputs of element i for cfg: Prepare's, or
// computed now.
func (b *DataSetBatch) statistics(cfg model.Config, i int) dataInputs {
	if len(b.prepared) == len(b.Sets) && b.preparedFor == cfg {
		return b.prepared[i]
	}
	return b.inputs(cfg, i)
}

// DataSetElement is one data set: Samples and Intervened [R*N], queries
// QueryNodes and QueryValues [Q]; Adj [N*N] and Effect [Q*N] are the
// training targets (Predict ignores them).
type DataSetElement struct {
	R                   int
	Samples, Intervened []float32
	QueryNodes          []int
	QueryValues         []float32
	Adj, Effect         []float32
}

// DataSetLoss is one data-set step's loss and its parts:
//
//	Total   = DAG·BCE + Acyclic·Acyclicity + L1·L1 + Effect·EffectMSE
//	EffectMSE = mean over the (query, variable ≠ queried) pairs of
//	           ((effect − true effect)/SD_j)², the true effect clamped to
//	           within ±FeatureClip·SD_j of the head's zero point (the
//	           matched rows' mean shift, see model.DataStats.Effect)
type DataSetLoss struct {
	Total, BCE, Acyclic, L1, EffectMSE float64
}

// DataSetWeights weighs the data-set loss terms.
type DataSetWeights struct {
	DAG     float64 `json:"dag"`
	Acyclic float64 `json:"acyclic"`
	L1      float64 `json:"l1"`
	Effect  float64 `json:"effect"`
}

// DefaultDataSetWeights returns Model F's loss weights: BCE 1, effect MSE
// 1, acyclicity and L1 off. (At N = 50 the acyclicity term of a fresh model
// is ~3·10⁶, so even a weight of 0.01 makes it 99.99% of the loss and of the
// clipped gradient; acyclic graphs come from the --dag projection instead.)
func DefaultDataSetWeights() DataSetWeights {
	return DataSetWeights{DAG: 1, Acyclic: 0, L1: 0, Effect: 1}
}

func (b *DataSetBatch) check(c model.Config, targets bool) error {
	if b.B < 1 || len(b.Sets) != b.B {
		return fmt.Errorf("batch of %d data sets, B = %d", len(b.Sets), b.B)
	}
	if b.Q < 1 {
		return fmt.Errorf("queries %d: must be at least 1", b.Q)
	}
	for i, e := range b.Sets {
		d := contract.DataSet{B: 1, R: e.R, N: b.N, Q: b.Q, Samples: e.Samples, Intervened: e.Intervened,
			QueryMask: make([]float32, b.Q*b.N), QueryValue: e.QueryValues}
		if len(e.QueryNodes) != b.Q {
			return fmt.Errorf("data set %d: %d query nodes, Q = %d", i, len(e.QueryNodes), b.Q)
		}
		for q, k := range e.QueryNodes {
			if k < 0 || k >= b.N {
				return fmt.Errorf("data set %d: query %d on variable %d of %d", i, q, k, b.N)
			}
			d.QueryMask[q*b.N+k] = 1
		}
		if err := d.Check(c.MaxNodes); err != nil {
			return fmt.Errorf("data set %d: %w", i, err)
		}
		if targets && (len(e.Adj) != b.N*b.N || len(e.Effect) != b.Q*b.N) {
			return fmt.Errorf("data set %d: targets adjacency %d / effect %d values, want %d / %d", i, len(e.Adj), len(e.Effect), b.N*b.N, b.Q*b.N)
		}
	}
	return nil
}

// dataInputs are the per-element values a Model F graph reads.
type dataInputs struct {
	pair, query, scale, fixed []float32
	sd                        []float64 // [N]
}

func (c *DataSetBatch) inputs(cfg model.Config, i int) dataInputs {
	e := c.Sets[i]
	n, q := c.N, c.Q
	st := model.DataSetStats(cfg, model.Float64s(e.Samples), model.Float64s(e.Intervened), e.R, n)
	w := model.EffectOutputs(cfg)
	in := dataInputs{pair: model.Float32s(st.PairFeatures()), query: make([]float32, 0, q*n*model.QueryFeatureCount),
		scale: make([]float32, q*n*w), fixed: make([]float32, q*n), sd: st.SD}
	for qi, k := range e.QueryNodes {
		v := float64(e.QueryValues[qi])
		in.query = append(in.query, model.Float32s(st.QueryFeatures(k, v))...)
		scale, fixed := st.EffectAffine(k, v)
		copy(in.fixed[qi*n:], model.Float32s(fixed))
		copy(in.scale[qi*n*w:], model.Float32s(scale))
	}
	return in
}

// load fills the graph's data inputs (statistics computed in parallel, one
// element per goroutine chunk) and, for training, the targets.
func (g *graph) loadDataSet(cfg model.Config, b *DataSetBatch, targets bool) {
	n, q := b.N, b.Q
	pair, query := g.in["pair_features"].data(), g.in["query_features"].data()
	scale, fixed := g.in["effect_scale"].data(), g.in["effect_fixed"].data()
	qmask := g.in[contract.QueryMask].data()
	var effT, effW, adjT []float32
	if targets {
		effT, effW, adjT = g.in["effect_true"].data(), g.in["effect_weight"].data(), g.in["adj_true"].data()
	}
	pf, qf := n*n*model.PairFeatureCount(cfg), q*n*model.QueryFeatureCount
	parFor(b.B, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			in := b.statistics(cfg, i)
			copy(pair[i*pf:(i+1)*pf], in.pair)
			copy(query[i*qf:(i+1)*qf], in.query)
			w := model.EffectOutputs(cfg)
			copy(scale[i*q*n*w:(i+1)*q*n*w], in.scale)
			copy(fixed[i*q*n:(i+1)*q*n], in.fixed)
			m := qmask[i*q*n : (i+1)*q*n]
			clear(m)
			e := b.Sets[i]
			for qi, k := range e.QueryNodes {
				m[qi*n+k] = 1
			}
			if !targets {
				continue
			}
			copy(adjT[i*n*n:(i+1)*n*n], e.Adj)
			clip := cfg.FeatureClip
			for qi, k := range e.QueryNodes {
				for j := range n {
					idx := (i*q+qi)*n + j
					if j == k {
						effT[idx], effW[idx] = 0, 0
						continue
					}
					// The target's distance from the head's zero point (the
					// matched rows' mean shift) is clamped, so a shift of
					// many SDs is neither cut nor fought.
					sd, base := float32(in.sd[j]), fixed[idx]
					effT[idx] = base + min(max(e.Effect[qi*n+j]-base, -float32(clip)*sd), float32(clip)*sd)
					effW[idx] = 1 / (sd * sd)
				}
			}
		}
	})
}

// PredictDataSet runs Model F's inference graph and returns adj_logits
// [B,N,N] and effect [B,Q,N] (fresh slices).
func (n *Net) PredictDataSet(b *DataSetBatch) (adjLogits, effect []float32, err error) {
	if n.cfg.Variant != model.VariantF {
		return nil, nil, fmt.Errorf("nn: Model %s does not take a data set", n.cfg.Variant)
	}
	if err := b.check(n.cfg, false); err != nil {
		return nil, nil, fmt.Errorf("nn: predict: %w", err)
	}
	g, err := n.graph(graphKey{b.B, b.Q, b.N, false})
	if err != nil {
		return nil, nil, err
	}
	g.loadDataSet(n.cfg, b, false)
	if err := g.run(); err != nil {
		return nil, nil, fmt.Errorf("nn: predict: %w", err)
	}
	return append([]float32(nil), f32(g.adj.Value())...), append([]float32(nil), f32(g.delta.Value())...), nil
}

// StepDataSet runs Model F's training graph once, forward and backward, and
// leaves the gradient of DataSetLoss.Total in Grads (dropout masks, if any,
// from rng).
func (n *Net) StepDataSet(b *DataSetBatch, w DataSetWeights, rng *rand.Rand) (DataSetLoss, error) {
	if n.cfg.Variant != model.VariantF {
		return DataSetLoss{}, fmt.Errorf("nn: Model %s does not take a data set", n.cfg.Variant)
	}
	if err := b.check(n.cfg, true); err != nil {
		return DataSetLoss{}, fmt.Errorf("nn: step: %w", err)
	}
	if rng == nil {
		return DataSetLoss{}, errors.New("nn: step: nil rng")
	}
	g, err := n.graph(graphKey{b.B, b.Q, b.N, true})
	if err != nil {
		return DataSetLoss{}, err
	}
	g.loadDataSet(n.cfg, b, true)
	copy(g.in["loss_weights"].data(), []float32{float32(w.DAG), float32(w.Acyclic), float32(w.L1), float32(w.Effect)})
	g.in["one"].data()[0] = 1
	for _, d := range g.drops {
		fillDropout(d.val.data(), d.p, rng)
	}
	if err := g.run(); err != nil {
		return DataSetLoss{}, fmt.Errorf("nn: step: %w", err)
	}
	var v [5]float64
	for i, p := range g.parts {
		v[i] = p.Op().(lossValuer).value()
	}
	for i, name := range n.names {
		copy(n.grads[name], f32(g.grads[i].Value()))
	}
	return DataSetLoss{Total: v[0], BCE: v[1], Acyclic: v[2], L1: v[3], EffectMSE: v[4]}, nil
}

// buildDataSet builds Model F's graph for B data sets of N variables and Q
// queries (k.s holds Q).
func (n *Net) buildDataSet(bd *builder, gr *graph, k graphKey) (outputs gorgonia.Nodes, err error) {
	in := func(name string, shape ...int) *gorgonia.Node {
		node, v := bd.input(name, shape...)
		gr.in[name] = v
		return node
	}
	B, Q, N := k.b, k.s, k.n
	bd.pairs = in("pair_features", B*N, N, model.PairFeatureCount(n.cfg))
	bd.queries = in("query_features", B*Q, N, model.QueryFeatureCount)
	bd.scale, bd.fixed = in("effect_scale", B, Q, N, model.EffectOutputs(n.cfg)), in("effect_fixed", B, Q, N)
	qmask := in(contract.QueryMask, B, Q, N)
	var none *gorgonia.Node
	gr.adj, gr.delta = model.ForwardDataSet[*gorgonia.Node](bd, n.cfg, none, none, qmask, none)
	outputs = gorgonia.Nodes{gr.adj, gr.delta}
	if !k.train {
		return outputs, nil
	}
	adjTrue := in("adj_true", B, N, N)
	effTrue, effW := in("effect_true", B, Q, N), in("effect_weight", B, Q, N)
	weights, one := in("loss_weights", 4), in("one", 1)
	bce := bd.bce(gr.adj, adjTrue)
	a := bd.edgeProbs(gr.adj)
	acyc, l1 := bd.acyclicity(a), bd.l1(a)
	mse := bd.out(&weightedMSEOp{opBase: bd.c.base("effectMSE", []int{3, 3, 3}, []bool{true, false, false}, 1), c: bd.c}, gr.delta, effTrue, effW)
	total := bd.combine(weights, bce, acyc, l1, mse)
	gr.parts = gorgonia.Nodes{total, bce, acyc, l1, mse}
	if gr.grads, err = n.backprop(bd, total, one); err != nil {
		return nil, err
	}
	return append(append(outputs, gr.parts...), gr.grads...), nil
}

// PairFeatures implements model.Builder: the graph's pair_features input.
func (bd *builder) PairFeatures(_, _ *gorgonia.Node) *gorgonia.Node { return bd.pairs }

// QueryFeatures implements model.Builder: the graph's query_features input.
func (bd *builder) QueryFeatures(_, _, _, _ *gorgonia.Node) *gorgonia.Node { return bd.queries }

// SwapPairs implements model.Builder.
func (bd *builder) SwapPairs(x *gorgonia.Node) *gorgonia.Node {
	s := x.Shape()
	n, k := s[1], s[2]
	op := &swapOp{opBase: bd.c.base("swap", []int{3}, []bool{bd.needs[x]}, s...), c: bd.c, b: s[0] / n, n: n, k: k}
	return bd.out(op, x)
}

// PairProduct implements model.Builder.
func (bd *builder) PairProduct(a, x *gorgonia.Node) *gorgonia.Node {
	s := x.Shape()
	n, k := s[1], s[2]
	if a.Shape().TotalSize() != s.TotalSize() || a.Shape()[1] != n || a.Shape()[2] != k || s[0]%n != 0 {
		model.Failf("PairProduct of %v and %v: want two pair tensors [B·N, N, K] of one shape", a.Shape(), s)
	}
	return bd.out(newPairProduct(bd.c, "pairProduct", []bool{bd.needs[a], bd.needs[x]}, s[0]/n, n, k, false, false), a, x)
}

// EdgeLogits implements model.Builder.
func (bd *builder) EdgeLogits(x *gorgonia.Node) *gorgonia.Node {
	s := x.Shape()
	n := s[1]
	op := &edgeLogitsOp{opBase: bd.c.base("edgeLogits", []int{3}, []bool{bd.needs[x]}, s[0]/n, n, n), c: bd.c, b: s[0] / n, n: n}
	return bd.out(op, x)
}

// QueryRows implements model.Builder.
func (bd *builder) QueryRows(x, qmask *gorgonia.Node) *gorgonia.Node {
	s, m := x.Shape(), qmask.Shape()
	B, Q, N, K := m[0], m[1], s[1], s[2]
	op := &queryRowsOp{opBase: bd.c.base("queryRows", []int{3, 3}, []bool{bd.needs[x], false}, B*Q, N, K), c: bd.c, b: B, q: Q, n: N, k: K}
	return bd.out(op, x, qmask)
}

// Effect implements model.Builder: scale·pred + fixed from the graph's
// effect_scale and effect_fixed inputs.
func (bd *builder) Effect(pred, _, _, _, _ *gorgonia.Node) *gorgonia.Node {
	s := bd.fixed.Shape()
	op := &effectOp{opBase: bd.c.base("effect", []int{3, 4, 3}, []bool{bd.needs[pred], false, false}, s...), c: bd.c, k: bd.scale.Shape()[3]}
	return bd.out(op, pred, bd.scale, bd.fixed)
}
