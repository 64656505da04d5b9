package model

import "fmt"

// ForwardDataSet renders Model F on b and returns adj_logits [B,N,N] and
// effect [B,Q,N] for samples and intervened [B,R,N], query_mask [B,Q,N] and
// query_value [B,Q] (the data-set contract of package contract).
//
// The architecture: the data set's pair statistics (PairFeatures) are
// embedded by a two-layer MLP into one token per ordered pair (i, j); Layers
// axial blocks follow, each a pre-LayerNorm residual attention over the
// pairs of a row (i, ·), one over the pairs of a column (·, j), with
// Config.Triangle a triangle update (PairProduct), and a feed-forward; a
// final LayerNorm and a linear edge head give one logit per pair. For each query do(x_k = v) the head reads row k of the pair tokens,
// adds a projection of the query's statistics (QueryFeatures), runs
// EffectLayers pre-LayerNorm blocks of attention over the variables and a
// feed-forward, and a linear output in SD units becomes the effect (Effect).
// Nothing is keyed on a variable's label, so permuting the columns permutes
// both outputs exactly.
func ForwardDataSet[T any](b Builder[T], c Config, samples, intervened, qmask, qvalue T) (adjLogits, effect T) {
	var zero T
	block := func(x T, name string) T {
		a := b.Attention(b.LayerNorm(x, name+"/attn_norm"), name+"/attn", c.Heads, zero, false)
		return b.Add(x, b.Dropout(a, c.Dropout))
	}
	ff := func(x T, name string) T {
		h := b.Dropout(b.Activate(b.Linear(b.LayerNorm(x, name+"/ff_norm"), name+"/ff/linear1"), c.Activation), c.Dropout)
		return b.Add(x, b.Dropout(b.Linear(h, name+"/ff/linear2"), c.Dropout))
	}
	h := b.Linear(b.Activate(b.Linear(b.PairFeatures(samples, intervened), "pair/embed1"), GELU), "pair/embed2")
	for l := range c.Layers {
		p := fmt.Sprintf("axial%d", l)
		h = block(h, p+"/row")
		h = b.SwapPairs(block(b.SwapPairs(h), p+"/col"))
		if c.Triangle > 0 {
			t := b.LayerNorm(h, p+"/tri/norm")
			m := b.PairProduct(b.Linear(t, p+"/tri/a"), b.Linear(t, p+"/tri/b"))
			h = b.Add(h, b.Linear(b.LayerNorm(m, p+"/tri/out_norm"), p+"/tri/out"))
		}
		h = ff(h, p)
	}
	h = b.LayerNorm(h, "final_norm")
	adjLogits = b.EdgeLogits(b.Linear(h, "edge_head"))

	e := b.Add(b.QueryRows(h, qmask), b.Linear(b.QueryFeatures(samples, intervened, qmask, qvalue), "effect/query_proj"))
	for l := range c.EffectLayers {
		p := fmt.Sprintf("effect/layer%d", l)
		e = ff(block(e, p), p)
	}
	pred := b.Linear(b.LayerNorm(e, "effect/norm"), "effect/out")
	return adjLogits, b.Effect(pred, samples, intervened, qmask, qvalue)
}

// dataSetSpecs lists Model F's parameters.
func dataSetSpecs(s *specList, c Config) {
	d := c.DModel
	s.linear("pair/embed1", PairFeatureCount(c), d)
	s.linear("pair/embed2", d, d)
	block := func(name string) {
		s.norm(name+"/attn_norm", d)
		s.attention(name+"/attn", d)
	}
	ff := func(name string) {
		s.norm(name+"/ff_norm", d)
		s.linear(name+"/ff/linear1", d, c.FF)
		s.linear(name+"/ff/linear2", c.FF, d)
	}
	for l := range c.Layers {
		p := fmt.Sprintf("axial%d", l)
		block(p + "/row")
		block(p + "/col")
		if c.Triangle > 0 {
			s.norm(p+"/tri/norm", d)
			s.linear(p+"/tri/a", d, c.Triangle)
			s.linear(p+"/tri/b", d, c.Triangle)
			s.norm(p+"/tri/out_norm", c.Triangle)
			// Zero: a fresh triangle update adds nothing, so a model
			// warm-started from one without it starts where that one was.
			s.add(Spec{Name: p + "/tri/out/weight", Shape: []int{c.Triangle, d}, Init: InitZeros})
			s.add(Spec{Name: p + "/tri/out/bias", Shape: []int{d}, Init: InitZeros})
		}
		ff(p)
	}
	s.norm("final_norm", d)
	s.linear("edge_head", d, 1)
	s.linear("effect/query_proj", QueryFeatureCount, d)
	for l := range c.EffectLayers {
		p := fmt.Sprintf("effect/layer%d", l)
		block(p)
		ff(p)
	}
	s.norm("effect/norm", d)
	// Zero: a fresh model predicts the sample mean shift for the data's own
	// interventions and no shift for others, and learns corrections.
	if c.StatsVersion() >= 2 {
		s.add(Spec{Name: "effect/out/weight", Shape: []int{d, EffectOutputs(c)}, Init: InitZeros})
		s.add(Spec{Name: "effect/out/bias", Shape: []int{EffectOutputs(c)}, Init: InitZeros})
	} else {
		s.linear("effect/out", d, 1)
	}
}
