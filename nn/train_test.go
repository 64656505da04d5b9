package nn

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"causeway/model"
	"causeway/model/modeltest"
)

// adam is a minimal Adam for tests (the real optimiser is package train's).
type adam struct {
	lr   float64
	t    int
	m, v map[string][]float64
}

func (a *adam) step(net *Net) {
	if a.m == nil {
		a.m, a.v = map[string][]float64{}, map[string][]float64{}
	}
	a.t++
	bc1, bc2 := 1-math.Pow(0.9, float64(a.t)), 1-math.Pow(0.999, float64(a.t))
	for _, name := range net.Names() {
		w, g := net.Params()[name].Data, net.Grads()[name]
		if a.m[name] == nil {
			a.m[name], a.v[name] = make([]float64, len(w)), make([]float64, len(w))
		}
		m, v := a.m[name], a.v[name]
		for i := range w {
			gi := float64(g[i])
			m[i] = 0.9*m[i] + 0.1*gi
			v[i] = 0.999*v[i] + 0.001*gi*gi
			w[i] -= float32(a.lr * (m[i] / bc1) / (math.Sqrt(v[i]/bc2) + 1e-8))
		}
	}
}

// TestLossFalls overfits two fixed batches with Adam: every variant's loss
// must fall by more than half in 60 steps (dropout off: the last losses
// would otherwise carry mask noise).
func TestLossFalls(t *testing.T) {
	for _, v := range model.Variants {
		t.Run(string(v), func(t *testing.T) {
			cfg := smallConfig(v)
			cfg.Layers, cfg.DModel, cfg.FF, cfg.Dropout = 1, 16, 32, 0
			net := newTestNet(t, cfg, 21)
			r := rand.New(rand.NewPCG(22, 22))
			batches := []*Batch{randBatch(r, 4, 10, 5), randBatch(r, 4, 10, 5)}
			rng := rand.New(rand.NewPCG(23, 23))
			opt := &adam{lr: 3e-3}
			var first, last float64
			const steps = 60
			for s := 0; s < steps; s++ {
				b := batches[s%2]
				tau := math.Max(0.2, 1-float64(s)/steps) // annealed, as the trainer would
				l, err := net.Step(b, DefaultLossWeights(), tau, rng)
				if err != nil {
					t.Fatal(err)
				}
				if s < 2 {
					first += l.Total / 2
				}
				if s >= steps-2 {
					last += l.Total / 2
				}
				opt.step(net)
			}
			t.Logf("loss %.4g → %.4g", first, last)
			if !(last < 0.5*first) {
				t.Errorf("loss fell from %.4g to %.4g: want below half", first, last)
			}
		})
	}
}

// TestDeterminism: two Nets with the same weights and rng seed give
// bit-identical losses and gradients, and so does a repeated step.
func TestDeterminism(t *testing.T) {
	for _, v := range []model.Variant{model.VariantA, model.VariantC, model.VariantD} {
		cfg := smallConfig(v)
		p, err := model.Init(cfg, 31)
		if err != nil {
			t.Fatal(err)
		}
		b := randBatch(rand.New(rand.NewPCG(32, 32)), 4, 12, 7)
		run := func(net *Net) (Loss, map[string][]float32) {
			l, err := net.Step(b, DefaultLossWeights(), 0.7, rand.New(rand.NewPCG(33, 33)))
			if err != nil {
				t.Fatal(err)
			}
			g := map[string][]float32{}
			for name, x := range net.Grads() {
				g[name] = append([]float32(nil), x...)
			}
			return l, g
		}
		n1, err := NewNet(cfg, p)
		if err != nil {
			t.Fatal(err)
		}
		n2, err := NewNet(cfg, p)
		if err != nil {
			t.Fatal(err)
		}
		l1, g1 := run(n1)
		l2, g2 := run(n2)
		n1.Predict(b) // another graph in between must not disturb the next step
		l3, g3 := run(n1)
		for _, c := range []struct {
			l Loss
			g map[string][]float32
		}{{l2, g2}, {l3, g3}} {
			if c.l != l1 {
				t.Errorf("%s: loss %+v vs %+v", v, c.l, l1)
			}
			for name := range g1 {
				for i := range g1[name] {
					if math.Float32bits(g1[name][i]) != math.Float32bits(c.g[name][i]) {
						t.Fatalf("%s: gradient %s[%d] differs: %g vs %g", v, name, i, g1[name][i], c.g[name][i])
					}
				}
			}
		}
		// A different seed draws different masks.
		l4, err := n1.Step(b, DefaultLossWeights(), 0.7, rand.New(rand.NewPCG(34, 34)))
		if err != nil {
			t.Fatal(err)
		}
		if l4 == l1 {
			t.Errorf("%s: a different rng seed gave the same loss", v)
		}
	}
}

// TestDeterminismAcrossProcs: the split of large products does not depend
// on GOMAXPROCS, so neither do the results.
func TestDeterminismAcrossProcs(t *testing.T) {
	cfg := model.DefaultConfig(model.VariantA)
	cfg.Layers = 1
	b := randBatch(rand.New(rand.NewPCG(51, 51)), 8, 20, 20) // products above gemmSplitFlops
	var ref []float32
	var refLoss Loss
	for i, procs := range []int{2, 1, 3} {
		prev := runtime.GOMAXPROCS(procs)
		net := newTestNet(t, cfg, 52)
		l, err := net.Step(b, DefaultLossWeights(), 1, rand.New(rand.NewPCG(53, 53)))
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		g := net.Grads()["layer0/ff/linear1/weight"]
		if i == 0 {
			ref, refLoss = append([]float32(nil), g...), l
			continue
		}
		if l != refLoss || modeltest.MaxAbsDiff(g, ref) != 0 {
			t.Errorf("GOMAXPROCS=%d: loss %+v vs %+v, max gradient difference %g", procs, l, refLoss, modeltest.MaxAbsDiff(g, ref))
		}
	}
}

// TestPredictNoDropout: Predict is deterministic and ignores dropout, and a
// training step (which draws masks) does not change its result.
func TestPredictNoDropout(t *testing.T) {
	cfg := smallConfig(model.VariantA)
	cfg.Dropout = 0.5
	net := newTestNet(t, cfg, 41)
	b := randBatch(rand.New(rand.NewPCG(42, 42)), 2, 8, 5)
	d1, a1, err := net.Predict(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.Step(b, DefaultLossWeights(), 1, rand.New(rand.NewPCG(1, 1))); err != nil {
		t.Fatal(err)
	}
	d2, a2, err := net.Predict(b)
	if err != nil {
		t.Fatal(err)
	}
	if modeltest.MaxAbsDiff(d1, d2) != 0 || modeltest.MaxAbsDiff(a1, a2) != 0 {
		t.Error("Predict changed between calls")
	}
}
