package nn

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"causeway/contract"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"causeway/model"
)

// Batch is one batch of the sample-pair contract (contract.Pairs, the
// model inputs) with its training targets Delta and Adj (Predict ignores
// them).
type Batch struct {
	contract.Pairs
	// Delta is [B, N]: the true intervened row minus the target row.
	Delta []float32
	// Adj is [B, N, N]: the true adjacency, Adj[b][i][j] = 1 for the edge i → j.
	Adj []float32
}

// check reports the first inconsistency of b with itself and with c
// (contract.Pairs.Check); targets says whether Delta and Adj are required.
func (b *Batch) check(c model.Config, targets bool) error {
	if err := b.Pairs.Check(c.MaxNodes); err != nil {
		return err
	}
	if !targets {
		return nil
	}
	switch {
	case b.N < 2:
		return fmt.Errorf("nodes %d: the loss needs at least 2 (it averages over off-diagonal entries)", b.N)
	case len(b.Delta) != b.B*b.N:
		return fmt.Errorf("delta target has %d values, B=%d N=%d wants %d", len(b.Delta), b.B, b.N, b.B*b.N)
	case len(b.Adj) != b.B*b.N*b.N:
		return fmt.Errorf("adjacency target has %d values, B=%d N=%d wants %d", len(b.Adj), b.B, b.N, b.B*b.N*b.N)
	}
	return nil
}

// LossWeights weighs the four loss terms.
type LossWeights struct {
	Delta   float64 // Huber loss on delta
	DAG     float64 // BCE-with-logits on the adjacency
	Acyclic float64 // acyclicity h(A)
	L1      float64 // mean edge probability (sparsity)
	// HuberDelta is the Huber threshold δ (0 means the notebook's 1). A δ
	// well above the typical error makes the term a mean squared error, whose
	// minimiser is the conditional mean rather than (for δ → 0) the median.
	HuberDelta float64 `json:",omitempty"`
}

func (w LossWeights) huberDelta() float64 {
	if w.HuberDelta > 0 {
		return w.HuberDelta
	}
	return 1
}

// DefaultLossWeights returns the notebook's weights {10, 1, 0.1, 0.01}.
func DefaultLossWeights() LossWeights {
	return LossWeights{Delta: 10, DAG: 1, Acyclic: 0.1, L1: 0.01}
}

// Loss is the value of one training step's loss and of its parts.
//
//	Total   = Delta·Huber + DAG·BCE + Acyclic·Acyclicity + L1·L1
//	Huber   = mean over B·N of huber(delta_pred − delta_true, δ = LossWeights.HuberDelta, default 1)
//	BCE     = mean over the off-diagonal entries of BCE-with-logits(L, adj)
//	Acyclic = mean over b of c·(tr(exp(A_b∘A_b / c)) − N), c = max(1, N/50)
//	L1      = mean of A over the off-diagonal entries
//
// where A = σ(L) (diagonal 0), except for Model C, whose A is the hard
// straight-through Gumbel-sigmoid sample (see Net.Step).
type Loss struct {
	Total, Huber, BCE, Acyclic, L1 float64
}

// Net is one architecture's parameters with its compiled gorgonia graphs.
// It is not safe for concurrent use.
type Net struct {
	cfg    model.Config
	params model.Params
	names  []string                 // model.Specs order
	dense  map[string]*tensor.Dense // shared by every graph
	grads  map[string][]float32
	graphs map[graphKey]*graph
	ar     arena
}

type graphKey struct {
	b, s, n int
	train   bool
}

// graph is one compiled graph and its input and output handles.
type graph struct {
	vm    gorgonia.VM
	data  map[*gorgonia.Node]*buf
	in    map[string]*buf // by input name
	drops []*dropInput

	delta, adj *gorgonia.Node
	parts      []*gorgonia.Node // total, huber, bce, acyclic, l1
	grads      []*gorgonia.Node // aligned with Net.names
}

// NewNet validates cfg and p and returns a Net holding a copy of p.
func NewNet(cfg model.Config, p model.Params) (*Net, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	if err := p.Check(cfg); err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	n := &Net{cfg: cfg, params: make(model.Params), dense: make(map[string]*tensor.Dense),
		grads: make(map[string][]float32), graphs: make(map[graphKey]*graph)}
	for _, sp := range model.Specs(cfg) {
		src := p[sp.Name]
		t := &model.Tensor{Shape: append([]int(nil), src.Shape...), Data: append([]float32(nil), src.Data...)}
		n.params[sp.Name] = t
		n.names = append(n.names, sp.Name)
		n.dense[sp.Name] = tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(t.Data))
		n.grads[sp.Name] = make([]float32, len(t.Data))
	}
	return n, nil
}

// Config returns the architecture.
func (n *Net) Config() model.Config { return n.cfg }

// Params returns the live weights: every graph reads these Data slices, so
// an optimiser must update them in place (never replace a slice).
func (n *Net) Params() model.Params { return n.params }

// Grads returns the gradients of the last Step by parameter name, aligned
// with Params. The slices are reused by the next Step.
func (n *Net) Grads() map[string][]float32 { return n.grads }

// Names returns the parameter names in model.Specs order (a fixed order for
// optimisers that must be deterministic).
func (n *Net) Names() []string { return append([]string(nil), n.names...) }

// Predict runs the inference graph (no dropout) and returns delta [B, N]
// and adj_logits [B, N, N] (fresh slices).
func (n *Net) Predict(b *Batch) (delta, adjLogits []float32, err error) {
	if err := b.check(n.cfg, false); err != nil {
		return nil, nil, fmt.Errorf("nn: predict: %w", err)
	}
	g, err := n.graph(graphKey{b.B, b.S, b.N, false})
	if err != nil {
		return nil, nil, err
	}
	g.load(b, false)
	if err := g.run(); err != nil {
		return nil, nil, fmt.Errorf("nn: predict: %w", err)
	}
	delta = append([]float32(nil), f32(g.delta.Value())...)
	adjLogits = append([]float32(nil), f32(g.adj.Value())...)
	return delta, adjLogits, nil
}

// Step runs the training graph once, forward and backward, and leaves the
// gradient of Loss.Total in Grads. It does not change the weights.
//
// Dropout masks (probability Config.Dropout on the attention weights, the
// attention output, the feed-forward hidden layer and its output) are drawn
// from rng, then, for Model C, the logistic noise log u − log(1 − u),
// u ~ U(0, 1), of the Gumbel-sigmoid sample; the same rng state gives the
// same step bit for bit.
//
// Model C (fixing the notebook, which discarded its sample): with y_soft =
// σ((L + noise)/τ) and y = 1[y_soft > 0.5], the acyclicity and L1 terms see
// the straight-through sample st = y − stopgrad(y_soft) + y_soft, whose
// value is the 0/1 sample y and whose gradient is that of y_soft; the BCE
// term stays on the logits L. τ > 0 is the temperature (the trainer anneals
// it); other variants ignore it.
func (n *Net) Step(b *Batch, w LossWeights, tau float64, rng *rand.Rand) (Loss, error) {
	if err := b.check(n.cfg, true); err != nil {
		return Loss{}, fmt.Errorf("nn: step: %w", err)
	}
	if n.cfg.Variant == model.VariantC && !(tau > 0) {
		return Loss{}, fmt.Errorf("nn: step: temperature %g: must be positive", tau)
	}
	if rng == nil {
		return Loss{}, errors.New("nn: step: nil rng")
	}
	g, err := n.graph(graphKey{b.B, b.S, b.N, true})
	if err != nil {
		return Loss{}, err
	}
	g.load(b, true)
	copy(g.in["loss_weights"].data(), []float32{float32(w.Delta), float32(w.DAG), float32(w.Acyclic), float32(w.L1)})
	g.in["one"].data()[0] = 1
	g.in["huber_delta"].data()[0] = float32(w.huberDelta())
	for _, d := range g.drops {
		fillDropout(d.val.data(), d.p, rng)
	}
	if t, ok := g.in["gumbel_noise"]; ok {
		fillLogistic(t.data(), rng)
		g.in["tau"].data()[0] = float32(tau)
	}
	if err := g.run(); err != nil {
		return Loss{}, fmt.Errorf("nn: step: %w", err)
	}
	var v [5]float64
	for i, p := range g.parts {
		v[i] = p.Op().(lossValuer).value()
	}
	for i, name := range n.names {
		copy(n.grads[name], f32(g.grads[i].Value()))
	}
	return Loss{Total: v[0], Huber: v[1], BCE: v[2], Acyclic: v[3], L1: v[4]}, nil
}

// maskChunk is the number of mask elements drawn from one stream.
const maskChunk = 1 << 16

// fillDropout writes a dropout mask: 0 with probability p, else 1/(1−p).
// Each chunk of maskChunk elements draws from its own wyrand stream seeded
// from rng in chunk order, so chunks fill in parallel and the mask depends
// only on rng's state. (wyrand: one 64×64→128-bit multiply per 64 bits,
// several times cheaper than PCG or ChaCha8 here; masks need no more.)
func fillDropout(m []float32, p float64, rng *rand.Rand) {
	thr := uint32(math.Min(p*(1<<32), math.MaxUint32))
	keep := float32(1 / (1 - p))
	chunks := (len(m) + maskChunk - 1) / maskChunk
	seeds := make([]uint64, chunks)
	for i := range seeds {
		seeds[i] = rng.Uint64()
	}
	parFor(chunks, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			state := seeds[c]
			part := m[c*maskChunk : min((c+1)*maskChunk, len(m))]
			// Branch-free (a dropped element is a random branch): keepBits
			// masked by −(u ≥ thr), the comparison's borrow bit.
			keepBits := math.Float32bits(keep)
			kept := func(u uint32) float32 {
				ge := uint32((uint64(u)-uint64(thr))>>63) ^ 1 // 1 when u ≥ thr
				return math.Float32frombits(keepBits & -ge)
			}
			for i := 0; i < len(part); i += 2 {
				state += 0xa0761d6478bd642f
				h, l := bits.Mul64(state, state^0xe7037ed1a0b428db)
				r := h ^ l
				part[i] = kept(uint32(r))
				if i+1 < len(part) {
					part[i+1] = kept(uint32(r >> 32))
				}
			}
		}
	})
}

// fillLogistic writes logistic noise log u − log(1−u), u ~ U(0, 1) open.
func fillLogistic(z []float32, rng *rand.Rand) {
	for i := range z {
		u := (float64(rng.Uint64()>>11) + 0.5) / (1 << 53)
		z[i] = float32(math.Log(u) - math.Log1p(-u))
	}
}

// load copies the batch into the graph's inputs.
func (g *graph) load(b *Batch, targets bool) {
	copy(g.in[contract.BaseSamples].data(), b.Base)
	copy(g.in[contract.IntSamples].data(), b.Int)
	copy(g.in[contract.TargetRow].data(), b.Target)
	copy(g.in[contract.IntMask].data(), b.Mask)
	if targets {
		copy(g.in["delta_true"].data(), b.Delta)
		copy(g.in["adj_true"].data(), b.Adj)
	}
}

// run binds the (arena-backed) inputs and executes the tape.
func (g *graph) run() error {
	for node, v := range g.data {
		if err := gorgonia.Let(node, v.dense()); err != nil {
			return err
		}
	}
	g.vm.Reset()
	return g.vm.RunAll()
}

// graph returns the compiled graph for k, building it on first use.
func (n *Net) graph(k graphKey) (*graph, error) {
	if g, ok := n.graphs[k]; ok {
		return g, nil
	}
	g, err := n.build(k)
	if err != nil {
		return nil, fmt.Errorf("nn: build %s graph B=%d S=%d N=%d: %w", n.cfg.Variant, k.b, k.s, k.n, err)
	}
	n.graphs[k] = g
	return g, nil
}

// build renders and compiles the graph of k; a misuse of the builder (a
// *model.BuildError, or any other panic while rendering) is its error.
func (n *Net) build(k graphKey) (gr *graph, err error) {
	defer model.RecoverBuild(&err)
	eg := gorgonia.NewGraph()
	bd := &builder{c: &gctx{ar: &n.ar, train: k.train}, g: eg, cfg: n.cfg, params: n.dense,
		pnodes: map[string]*gorgonia.Node{}, needs: map[*gorgonia.Node]bool{},
		acts: map[*gorgonia.Node]*actInfo{}, data: map[*gorgonia.Node]*buf{}}
	gr = &graph{in: map[string]*buf{}}
	in := func(name string, shape ...int) *gorgonia.Node {
		node, v := bd.input(name, shape...)
		gr.in[name] = v
		return node
	}
	if n.cfg.Variant == model.VariantF {
		outputs, err := n.buildDataSet(bd, gr, k)
		if err != nil {
			return nil, err
		}
		return n.compile(bd, eg, gr, outputs)
	}
	B, S, N := k.b, k.s, k.n
	base, intv := in(contract.BaseSamples, B, S, N), in(contract.IntSamples, B, S, N)
	target, mask := in(contract.TargetRow, B, N), in(contract.IntMask, B, N)
	gr.delta, gr.adj = model.Forward[*gorgonia.Node](bd, n.cfg, base, intv, target, mask)
	outputs := gorgonia.Nodes{gr.delta, gr.adj}
	if k.train {
		deltaTrue, adjTrue := in("delta_true", B, N), in("adj_true", B, N, N)
		weights, one := in("loss_weights", 4), in("one", 1)
		huber, bce := bd.huber(gr.delta, deltaTrue, in("huber_delta", 1)), bd.bce(gr.adj, adjTrue)
		var a *gorgonia.Node
		if n.cfg.Variant == model.VariantC {
			a = bd.gumbelSample(gr.adj, in("gumbel_noise", B, N, N), in("tau", 1))
		} else {
			a = bd.edgeProbs(gr.adj)
		}
		acyc, l1 := bd.acyclicity(a), bd.l1(a)
		total := bd.combine(weights, huber, bce, acyc, l1)
		gr.parts = gorgonia.Nodes{total, huber, bce, acyc, l1}
		if gr.grads, err = n.backprop(bd, total, one); err != nil {
			return nil, err
		}
		outputs = append(append(outputs, gr.parts...), gr.grads...)
	}
	return n.compile(bd, eg, gr, outputs)
}

// backprop returns the gradient of total (seeded by one) with respect to
// every parameter, in Names order; every parameter must be used.
func (n *Net) backprop(bd *builder, total, one *gorgonia.Node) (gorgonia.Nodes, error) {
	wrt := make(gorgonia.Nodes, len(n.names))
	for i, name := range n.names {
		p, ok := bd.pnodes[name]
		if !ok {
			return nil, fmt.Errorf("parameter %s is not used by the forward", name)
		}
		wrt[i] = p
	}
	grads, err := gorgonia.Backpropagate(gorgonia.Nodes{total}, gorgonia.Nodes{one}, wrt)
	if err != nil {
		return nil, fmt.Errorf("backpropagate: %w", err)
	}
	return grads, nil
}

// compile compiles the graph eg for outputs onto a tape machine.
func (n *Net) compile(bd *builder, eg *gorgonia.ExprGraph, gr *graph, outputs gorgonia.Nodes) (*graph, error) {
	prog, locMap, err := gorgonia.CompileFunction(eg, bd.inputs, outputs)
	if err != nil {
		return nil, fmt.Errorf("compile: %w", err)
	}
	gr.vm = gorgonia.NewTapeMachine(eg, gorgonia.WithPrecompiled(prog, locMap))
	gr.data = bd.data
	gr.drops = bd.drops
	return gr, nil
}
