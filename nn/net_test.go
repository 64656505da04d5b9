package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"causeway/contract"
	"causeway/model/modeltest"

	"gonum.org/v1/gonum/mat"

	"causeway/metrics"
	"causeway/model"
)

// randBatch draws a batch: base ~ N(0,1), intv ~ N(shift, 2) per column,
// one intervened node per element, a random upper-triangular DAG target.
func randBatch(r *rand.Rand, B, S, N int) *Batch {
	b := &Batch{Pairs: contract.Pairs{B: B, S: S, N: N}}
	f := func(n int, scale float64) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.NormFloat64() * scale)
		}
		return x
	}
	b.Base, b.Int, b.Target, b.Delta = f(B*S*N, 1), f(B*S*N, 2), f(B*N, 1), f(B*N, 1)
	for i := range b.Int {
		b.Int[i] += float32(i%N) * 0.3
	}
	b.Mask = make([]float32, B*N)
	b.Adj = make([]float32, B*N*N)
	for i := 0; i < B; i++ {
		b.Mask[i*N+r.IntN(N)] = 1
		for j := 0; j < N; j++ {
			for k := j + 1; k < N; k++ {
				if r.Float64() < 0.3 {
					b.Adj[i*N*N+j*N+k] = 1
				}
			}
		}
	}
	return b
}

// smallConfig is a fast architecture for tests (MaxNodes 50 so every N of
// the notebook's range fits).
func smallConfig(v model.Variant) model.Config {
	c := model.DefaultConfig(v)
	c.DModel, c.Heads, c.Layers, c.StructLayers, c.FF = 16, 2, 2, 1, 32
	c.HyperDim, c.HyperHidden = 4, 8
	return c
}

func newTestNet(t testing.TB, cfg model.Config, seed uint64) *Net {
	t.Helper()
	p, err := model.Init(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNet(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func allFinite(x []float32) bool {
	for _, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

func TestShapes(t *testing.T) {
	for _, v := range model.Variants {
		for _, N := range []int{3, 20, 50} {
			t.Run(fmt.Sprintf("%s/N=%d", v, N), func(t *testing.T) {
				net := newTestNet(t, smallConfig(v), 1)
				b := randBatch(rand.New(rand.NewPCG(1, uint64(N))), 2, 8, N)
				delta, adj, err := net.Predict(b)
				if err != nil {
					t.Fatal(err)
				}
				if len(delta) != 2*N || len(adj) != 2*N*N {
					t.Fatalf("delta %d, adj %d values; want %d, %d", len(delta), len(adj), 2*N, 2*N*N)
				}
				for i := 0; i < 2*N; i++ {
					if adj[i/N*N*N+i%N*(N+1)] != contract.DiagLogit {
						t.Fatalf("diagonal logit %g, want %g", adj[i/N*N*N+i%N*(N+1)], contract.DiagLogit)
					}
				}
				if !allFinite(delta) || !allFinite(adj) {
					t.Fatal("non-finite output")
				}
				l, err := net.Step(b, DefaultLossWeights(), 0.5, rand.New(rand.NewPCG(2, 2)))
				if err != nil {
					t.Fatal(err)
				}
				if math.IsNaN(l.Total) || math.IsInf(l.Total, 0) {
					t.Fatalf("loss %+v", l)
				}
				for name, g := range net.Grads() {
					if len(g) != len(net.Params()[name].Data) || !allFinite(g) {
						t.Fatalf("gradient %s: %d values (want %d) or non-finite", name, len(g), len(net.Params()[name].Data))
					}
				}
			})
		}
	}
}

func TestBatchErrors(t *testing.T) {
	net := newTestNet(t, smallConfig(model.VariantA), 1)
	good := randBatch(rand.New(rand.NewPCG(1, 1)), 2, 5, 4)
	for _, tc := range []struct {
		name string
		mod  func(b *Batch)
	}{
		{"short base", func(b *Batch) { b.Base = b.Base[1:] }},
		{"one sample", func(b *Batch) { b.S = 1 }},
		{"too many nodes", func(b *Batch) { b.N = 51 }},
		{"no adjacency", func(b *Batch) { b.Adj = nil }},
	} {
		b := *good
		tc.mod(&b)
		if _, err := net.Step(&b, DefaultLossWeights(), 1, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%s: Step accepted it", tc.name)
		}
	}
	if _, err := net.Step(good, DefaultLossWeights(), 1, nil); err == nil {
		t.Error("Step accepted a nil rng")
	}
	c := newTestNet(t, smallConfig(model.VariantC), 1)
	if _, err := c.Step(good, DefaultLossWeights(), 0, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("Model C accepted τ = 0")
	}
}

// TestParity holds Predict to the float64 reference model.Predict.
func TestParity(t *testing.T) {
	type size struct{ b, s, n int }
	for _, v := range model.Variants {
		small := smallConfig(v)
		eq := smallConfig(v)
		eq.Equivariant = true
		eq.MeanShiftSkip = true
		eq.PairStats = true
		drop := smallConfig(v)
		drop.Dropout = 0.5 // Predict must not apply it
		for _, tc := range []struct {
			name  string
			cfg   model.Config
			sizes []size
		}{
			{"small", small, []size{{1, 5, 3}, {3, 20, 7}, {2, 10, 20}, {1, 2, 1}}},
			{"small equivariant", eq, []size{{2, 10, 6}}},
			{"small dropout 0.5", drop, []size{{2, 10, 6}}},
			{"default", model.DefaultConfig(v), []size{{2, 100, 20}}},
		} {
			for _, sz := range tc.sizes {
				t.Run(fmt.Sprintf("%s/%s/B%dS%dN%d", v, tc.name, sz.b, sz.s, sz.n), func(t *testing.T) {
					p, err := model.Init(tc.cfg, 7)
					if err != nil {
						t.Fatal(err)
					}
					net, err := NewNet(tc.cfg, p)
					if err != nil {
						t.Fatal(err)
					}
					b := randBatch(rand.New(rand.NewPCG(5, uint64(sz.n))), sz.b, sz.s, sz.n)
					delta, adj, err := net.Predict(b)
					if err != nil {
						t.Fatal(err)
					}
					rd, ra, err := model.Predict(tc.cfg, p, b.Base, b.Int, b.Target, b.Mask, sz.b, sz.s, sz.n)
					if err != nil {
						t.Fatal(err)
					}
					dd, da := modeltest.MaxAbsDiff(delta, rd), modeltest.MaxAbsDiff(adj, ra)
					t.Logf("max |Δ| delta %.2g, adj_logits %.2g", dd, da)
					if dd > 1e-4 || da > 1e-4 {
						t.Errorf("max abs diff delta %.3g, adj_logits %.3g: want ≤ 1e-4", dd, da)
					}
				})
			}
		}
	}
}

// TestSharedParams: every cached graph reads the live weights.
func TestSharedParams(t *testing.T) {
	cfg := smallConfig(model.VariantD)
	net := newTestNet(t, cfg, 3)
	b3 := randBatch(rand.New(rand.NewPCG(1, 3)), 2, 6, 3)
	b5 := randBatch(rand.New(rand.NewPCG(1, 5)), 2, 6, 5)
	for _, b := range []*Batch{b3, b5} {
		if _, _, err := net.Predict(b); err != nil {
			t.Fatal(err)
		}
		if _, err := net.Step(b, DefaultLossWeights(), 1, rand.New(rand.NewPCG(1, 1))); err != nil {
			t.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for _, p := range net.Params() { // an optimiser's in-place update
		for i := range p.Data {
			p.Data[i] += float32(0.05 * rng.NormFloat64())
		}
	}
	for _, b := range []*Batch{b3, b5} {
		d, a, err := net.Predict(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ra, err := model.Predict(cfg, net.Params(), b.Base, b.Int, b.Target, b.Mask, b.B, b.S, b.N)
		if err != nil {
			t.Fatal(err)
		}
		if dd, da := modeltest.MaxAbsDiff(d, rd), modeltest.MaxAbsDiff(a, ra); dd > 1e-4 || da > 1e-4 {
			t.Errorf("N=%d after an in-place update: max abs diff delta %.3g, adj %.3g", b.N, dd, da)
		}
	}
}

// TestModelDUsesStructure: Model D's delta depends on the DAG head (the
// notebook computed the bias and dropped it); Model A's does not.
func TestModelDUsesStructure(t *testing.T) {
	for _, tc := range []struct {
		v       model.Variant
		changes bool
	}{{model.VariantD, true}, {model.VariantA, false}} {
		net := newTestNet(t, smallConfig(tc.v), 4)
		b := randBatch(rand.New(rand.NewPCG(2, 2)), 2, 10, 6)
		before, _, err := net.Predict(b)
		if err != nil {
			t.Fatal(err)
		}
		w := net.Params()["dag/parent/weight"].Data
		rng := rand.New(rand.NewPCG(3, 3))
		for i := range w {
			w[i] += float32(0.5 * rng.NormFloat64())
		}
		after, _, err := net.Predict(b)
		if err != nil {
			t.Fatal(err)
		}
		d := modeltest.MaxAbsDiff(before, after)
		if tc.changes && d < 1e-3 {
			t.Errorf("Model %s: delta moved %.3g when dag/parent changed: the structure bias is not used", tc.v, d)
		}
		if !tc.changes && d != 0 {
			t.Errorf("Model %s: delta moved %.3g when dag/parent changed", tc.v, d)
		}
		if tc.v == model.VariantD {
			net.Step(b, DefaultLossWeights(), 1, rand.New(rand.NewPCG(1, 1)))
			// The delta loss alone must reach the DAG head through the bias.
			l, err := net.Step(b, LossWeights{Delta: 1}, 1, rand.New(rand.NewPCG(1, 1)))
			if err != nil {
				t.Fatal(err)
			}
			var g float64
			for _, v := range net.Grads()["dag/parent/weight"] {
				g += math.Abs(float64(v))
			}
			if g == 0 || l.Total != l.Huber {
				t.Errorf("Model D: Σ|∂Huber/∂dag/parent| = %g (loss %+v), want > 0", g, l)
			}
		}
	}
}

// TestGumbelHardSample: Model C's acyclicity and L1 terms see the hard 0/1
// sample 1[L + noise > 0] (any τ > 0), drawn from the rng after the
// dropout masks (none here: dropout 0).
func TestGumbelHardSample(t *testing.T) {
	cfg := smallConfig(model.VariantC)
	cfg.Dropout = 0
	net := newTestNet(t, cfg, 5)
	const B, N = 3, 6
	b := randBatch(rand.New(rand.NewPCG(4, 4)), B, 10, N)
	_, logits, err := net.Predict(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, tau := range []float64{1e-3, 0.5} {
		l, err := net.Step(b, DefaultLossWeights(), tau, rand.New(rand.NewPCG(8, 8)))
		if err != nil {
			t.Fatal(err)
		}
		noise := make([]float32, B*N*N)
		fillLogistic(noise, rand.New(rand.NewPCG(8, 8)))
		var ones, h float64
		for bi := 0; bi < B; bi++ {
			y := make([]float64, N*N)
			for i := 0; i < N; i++ {
				for j := 0; j < N; j++ {
					k := bi*N*N + i*N + j
					if i != j && float64(logits[k])+float64(noise[k]) > 0 {
						y[i*N+j] = 1
						ones++
					}
				}
			}
			h += acyclicity(y, N, mat.NewDense(N, N, nil))
		}
		wantL1, wantH := ones/float64(B*N*(N-1)), h/B
		if l.L1 != wantL1 {
			t.Errorf("τ=%g: L1 %v, want the mean of the 0/1 sample %v", tau, l.L1, wantL1)
		}
		if math.Abs(l.Acyclic-wantH) > 1e-9*math.Max(1, wantH) {
			t.Errorf("τ=%g: acyclicity %v, want h(sample) %v", tau, l.Acyclic, wantH)
		}
	}
}

// TestLossParts recomputes each loss term from Predict's outputs with the
// notebook's formulas (N ≤ 50, so c = 1) in float64.
func TestLossParts(t *testing.T) {
	cfg := smallConfig(model.VariantA)
	cfg.Dropout = 0
	net := newTestNet(t, cfg, 6)
	const B, N = 2, 5
	b := randBatch(rand.New(rand.NewPCG(6, 6)), B, 10, N)
	for i := range b.Delta {
		b.Delta[i] *= 3 // both Huber regimes
	}
	delta, logits, err := net.Predict(b)
	if err != nil {
		t.Fatal(err)
	}
	w := LossWeights{Delta: 2, DAG: 3, Acyclic: 5, L1: 7}
	l, err := net.Step(b, w, 1, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	var huber float64
	for i := range delta {
		d := math.Abs(float64(delta[i] - b.Delta[i]))
		if d < 1 {
			huber += 0.5 * d * d
		} else {
			huber += d - 0.5
		}
	}
	huber /= B * N
	var bce, l1, h float64
	for bi := 0; bi < B; bi++ {
		s := mat.NewDense(N, N, nil)
		for i := 0; i < N; i++ {
			for j := 0; j < N; j++ {
				if i == j {
					continue
				}
				k := bi*N*N + i*N + j
				x, y := float64(logits[k]), float64(b.Adj[k])
				p := 1 / (1 + math.Exp(-x))
				bce += -(y*math.Log(p) + (1-y)*math.Log(1-p))
				l1 += p
				s.Set(i, j, p*p)
			}
		}
		var e mat.Dense
		e.Exp(s)
		h += mat.Trace(&e) - N
	}
	bce /= B * N * (N - 1)
	l1 /= B * N * (N - 1)
	h /= B
	total := w.Delta*huber + w.DAG*bce + w.Acyclic*h + w.L1*l1
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"huber", l.Huber, huber}, {"bce", l.BCE, bce}, {"acyclicity", l.Acyclic, h}, {"l1", l.L1, l1}, {"total", l.Total, total}} {
		if math.Abs(c.got-c.want) > 1e-5*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s: %.8g, want %.8g", c.name, c.got, c.want)
		}
	}
}

// TestModelGradient checks the whole training graph of every variant
// (dropout on, fixed masks) against central differences of Loss.Total on a
// tiny architecture. GELU everywhere keeps the loss smooth (ReLU's kink is
// checked at op level); Model C's acyclicity and L1 terms see a 0/1 sample
// and are switched off here (TestGumbelGradient covers them).
func TestModelGradient(t *testing.T) {
	type variantCase struct {
		v  model.Variant
		eq bool
	}
	var cases []variantCase
	for _, v := range model.Variants {
		cases = append(cases, variantCase{v, false})
	}
	cases = append(cases, variantCase{model.VariantB, true}, variantCase{model.VariantE, true})
	for _, vc := range cases {
		v := vc.v
		t.Run(fmt.Sprintf("%s/equivariant=%t", v, vc.eq), func(t *testing.T) {
			cfg := model.DefaultConfig(v)
			cfg.DModel, cfg.Heads, cfg.Layers, cfg.StructLayers, cfg.FF, cfg.MaxNodes = 8, 2, 1, 1, 16, 6
			cfg.HyperDim, cfg.HyperHidden, cfg.Activation, cfg.Dropout = 3, 5, model.GELU, 0.2
			cfg.Equivariant = vc.eq
			// The equivariant cases also carry the two options off by default.
			cfg.MeanShiftSkip, cfg.PairStats = vc.eq, vc.eq
			net := newTestNet(t, cfg, 11)
			b := randBatch(rand.New(rand.NewPCG(3, 3)), 2, 6, 4)
			w := DefaultLossWeights()
			if v == model.VariantC {
				w.Acyclic, w.L1 = 0, 0
			}
			loss := func() float64 {
				l, err := net.Step(b, w, 1, rand.New(rand.NewPCG(12, 12)))
				if err != nil {
					t.Fatal(err)
				}
				return l.Total
			}
			loss()
			grads := map[string][]float32{}
			for name, g := range net.Grads() {
				grads[name] = append([]float32(nil), g...)
			}
			rng := rand.New(rand.NewPCG(13, 13))
			const h = 1e-2
			worst := 0.0
			for _, name := range net.Names() {
				x := net.Params()[name].Data
				var rms float64
				for _, g := range grads[name] {
					rms += float64(g) * float64(g)
				}
				rms = math.Sqrt(rms / float64(len(x)))
				for k := 0; k < 3; k++ {
					i := rng.IntN(len(x))
					if sh := net.Params()[name].Shape; sh[0] == cfg.MaxNodes {
						i = rng.IntN(b.N * len(x) / sh[0]) // per-label rows: 0..N−1 are used
					}
					orig := x[i]
					x[i] = orig + h
					up := loss()
					x[i] = orig - h
					down := loss()
					x[i] = orig
					fd := (up - down) / (float64(orig+h) - float64(orig-h))
					scale := math.Max(math.Abs(fd), rms)
					// float32 forward: the total carries ~1e-7 relative
					// rounding noise, ×|total|/h after differencing.
					noise := 1e-7 * math.Abs(up) / h
					e := math.Max(0, math.Abs(float64(grads[name][i])-fd)-noise) / scale
					worst = math.Max(worst, e)
					if e > 5e-3 {
						t.Errorf("%s[%d]: analytic %.6g, finite difference %.6g ± %.2g", name, i, grads[name][i], fd, noise)
					}
				}
			}
			t.Logf("worst scaled error %.3g", worst)
		})
	}
}

// TestHuberDeltaMatchesMetrics checks the training loss's Huber term, at
// the notebook's δ = 1 and at a larger δ, against metrics.Huber of the
// inference delta (dropout off, so both see the same forward).
func TestHuberDeltaMatchesMetrics(t *testing.T) {
	cfg := smallConfig(model.VariantA)
	cfg.Dropout = 0
	net := newTestNet(t, cfg, 5)
	b := randBatch(rand.New(rand.NewPCG(9, 9)), 3, 8, 5)
	for i := range b.Delta {
		b.Delta[i] *= 4 // errors on both sides of each δ
	}
	pred, _, err := net.Predict(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, delta := range []float64{0, 1, 3} {
		w := DefaultLossWeights()
		w.HuberDelta = delta
		l, err := net.Step(b, w, 1, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		want := metrics.Huber(pred, b.Delta, max(delta, 1))
		if math.Abs(l.Huber-want) > 1e-5*math.Max(1, want) {
			t.Errorf("δ=%g: loss Huber %.6f, metrics.Huber %.6f", delta, l.Huber, want)
		}
	}
}
