package scm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// interventionGraph: 0 → 1 → 2 ← 3, 0 → 4, 1 → 5, 6 isolated. do(X_1) has
// descendants {2, 5}; 0, 3, 4 and 6 are not.
func interventionGraph(t testing.TB) *Graph {
	return makeGraph(t, 7,
		Edge{From: 0, To: 1, Mechanism: Linear}, Edge{From: 1, To: 2, Mechanism: Linear},
		Edge{From: 3, To: 2, Mechanism: Tanh}, Edge{From: 0, To: 4, Mechanism: Quadratic},
		Edge{From: 1, To: 5, Mechanism: NegLinear})
}

// TestInterventionSemantics samples a fixed graph observationally and under
// do(X_1 = 5): the target column is exactly 5, the non-descendants keep
// their distribution and the descendants shift.
//
// The check on non-descendants is a two-sample Kolmogorov–Smirnov test of
// 4000 observational against 4000 interventional draws (independent noise).
// Its threshold is the asymptotic critical value at α = 10⁻⁴ (0.0497): a
// correct sampler would fail it with probability 10⁻⁴ per column, and the
// seed is fixed, so the outcome is reproducible. A sampler that leaked the
// intervention into a non-descendant shifts it by ≥ 1 noise sd, a KS
// distance above 0.3.
func TestInterventionSemantics(t *testing.T) {
	g := interventionGraph(t)
	const s = 4000
	obs := g.Sample(rand.New(rand.NewPCG(1, 2)), s, nil)
	do := &Intervention{Node: 1, Value: 5}
	intv := g.Sample(rand.New(rand.NewPCG(3, 4)), s, do)
	for i := 1; i < len(intv); i += g.N {
		if intv[i] != 5 {
			t.Fatalf("intervened column has %v, want 5", intv[i])
		}
	}
	crit := ksCritical(1e-4, s, s)
	desc := g.descendantMask(1, nil)
	for j := range g.N {
		if j == 1 {
			continue
		}
		d := ksStat(column(obs, g.N, j), column(intv, g.N, j))
		if desc[j] && d < 0.5 {
			t.Errorf("descendant x%d: KS distance %.3f, want a clear shift (> 0.5)", j, d)
		}
		if !desc[j] && d > crit {
			t.Errorf("non-descendant x%d: KS distance %.4f > %.4f (α = 1e-4)", j, d, crit)
		}
	}
}

// TestInterventionRandomGraphs repeats the non-descendant check on random
// notebook graphs, every node as target, via the column-major sampler.
func TestInterventionRandomGraphs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes = 8
	r := rand.New(rand.NewPCG(9, 9))
	const s = 2000
	crit := ksCritical(1e-4, s, s)
	for range 3 {
		g, _ := NewGraph(cfg, r)
		obs := g.Sample(r, s, nil)
		for k := range g.N {
			intv := g.Sample(r, s, &Intervention{Node: k, Value: 8})
			desc := g.descendantMask(k, nil)
			for j := range g.N {
				if desc[j] {
					continue
				}
				if d := ksStat(column(obs, g.N, j), column(intv, g.N, j)); d > crit {
					t.Errorf("do(x%d): non-descendant x%d moved, KS %.4f > %.4f", k, j, d, crit)
				}
			}
		}
	}
}

// TestClip drives a chain of doublings past ±20: every non-root value is
// within [−20, 20], values hit the bound exactly, and the root is not clipped.
func TestClip(t *testing.T) {
	g := makeGraph(t, 4,
		Edge{From: 0, To: 1, Mechanism: Linear}, Edge{From: 1, To: 2, Mechanism: Linear},
		Edge{From: 2, To: 3, Mechanism: Exp})
	g.NoiseScale = 10
	x := g.Sample(rand.New(rand.NewPCG(5, 6)), 2000, nil)
	atBound, rootOver := 0, 0
	for i, v := range x {
		j := i % g.N
		if j == 0 {
			if math.Abs(float64(v)) > Clip {
				rootOver++
			}
			continue
		}
		if math.Abs(float64(v)) > Clip {
			t.Fatalf("x%d = %v beyond the clip", j, v)
		}
		if math.Abs(float64(v)) == Clip {
			atBound++
		}
	}
	if atBound < 1000 {
		t.Errorf("only %d values at ±20; the chain should saturate", atBound)
	}
	if rootOver == 0 {
		t.Error("no root value beyond 20 with noise sd 10: roots must keep their noise unclipped (notebook)")
	}
	// An intervention value is not clipped either.
	y := g.Sample(rand.New(rand.NewPCG(5, 7)), 10, &Intervention{Node: 2, Value: 50})
	if y[2] != 50 {
		t.Errorf("do(x2 = 50) gave %v", y[2])
	}
}

// TestSimulateMatchesRowByRow checks the column-major sampler (with shared
// terms and the intervened-parent shortcut) against a direct row-by-row
// evaluation of the structural equations.
func TestSimulateMatchesRowByRow(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Nodes, cfg.EdgeProb, cfg.Weights = 12, 0.6, true
	r := rand.New(rand.NewPCG(4, 4))
	g, _ := NewGraph(cfg, r)
	if g.slots == 0 {
		t.Fatal("test graph shares no terms; pick a denser one")
	}
	const s = 50
	for k := -1; k < g.N; k++ {
		x := make([]float64, g.N*s)
		g.noise(x, s, rand.NewPCG(7, 7))
		noise := append([]float64(nil), x...)
		g.simulate(x, s, k, 8, make([]float64, g.slots*s))
		for i := range s {
			row := make([]float64, g.N)
			for _, j := range g.Order {
				if j == k {
					row[j] = 8
					continue
				}
				v := noise[j*s+i]
				for e, p := range g.Parents[j] {
					v += g.Weights[j][e] * g.Mechanisms[j][e].Apply(row[p])
				}
				if len(g.Parents[j]) > 0 {
					v = math.Max(-Clip, math.Min(Clip, v))
				}
				row[j] = v
			}
			for j := range g.N {
				if got := x[j*s+i]; math.Abs(got-row[j]) > 1e-9*math.Max(1, math.Abs(row[j])) {
					t.Fatalf("do(%d) row %d x%d: sampler %v, direct %v", k, i, j, got, row[j])
				}
			}
		}
	}
}

// TestNoiseLaws checks mean 0 and standard deviation NoiseScale for each law,
// and its shape through the kurtosis (normal 3, Laplace 6, uniform 1.8).
func TestNoiseLaws(t *testing.T) {
	tests := []struct {
		law      string
		kurtosis float64
	}{{NoiseGaussian, 3}, {NoiseLaplace, 6}, {NoiseUniform, 1.8}}
	const n = 200000
	for _, tc := range tests {
		t.Run(tc.law, func(t *testing.T) {
			g := &Graph{N: 1, Noise: tc.law, NoiseScale: 2}
			x := make([]float64, n)
			g.noise(x, n, rand.NewPCG(8, 8))
			mean, sd := meanStd(x)
			m4 := 0.0
			for _, v := range x {
				m4 += math.Pow(v-mean, 4)
			}
			kurt := m4 / n / math.Pow(sd, 4)
			// Standard errors at n = 2e5: mean 0.0045, sd ≤ 0.005, kurtosis ≤ 0.05 (Laplace).
			if math.Abs(mean) > 0.03 || math.Abs(sd-2) > 0.03 || math.Abs(kurt-tc.kurtosis) > 0.3 {
				t.Errorf("mean %.4f, sd %.4f, kurtosis %.3f; want 0, 2, %.1f", mean, sd, kurt, tc.kurtosis)
			}
		})
	}
}

// TestNormalTails checks the ziggurat's normal draws against the normal CDF
// (one-sample KS) and its tail mass beyond the ziggurat's base strip.
func TestNormalTails(t *testing.T) {
	const n = 400000
	p := rand.NewPCG(10, 10)
	x := make([]float64, n)
	tail := 0
	for i := range x {
		x[i] = normal(p)
		if math.Abs(x[i]) > zigR {
			tail++
		}
	}
	// P(|Z| > 3.4426) = 5.76e-4: 230 expected, sd 15.
	if want := 2 * n * 0.5 * math.Erfc(zigR/math.Sqrt2); math.Abs(float64(tail)-want) > 5*math.Sqrt(want) {
		t.Errorf("%d draws beyond ±%.3f, want %.0f", tail, zigR, want)
	}
	ref := make([]float64, 0, n)
	r := rand.New(rand.NewPCG(11, 11))
	for range n {
		ref = append(ref, r.NormFloat64())
	}
	if d, crit := ksStat(x, ref), ksCritical(1e-4, n, n); d > crit {
		t.Errorf("KS distance to math/rand's normals %.5f > %.5f", d, crit)
	}
}
