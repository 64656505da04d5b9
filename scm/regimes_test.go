package scm

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// chain is x0 → x1 → x2 with linear mechanisms (2x) and Gaussian noise:
// E[x1 | do(x0 = v)] − E[x1] = 2v, E[x2 | do(x0 = v)] − E[x2] = 4v while
// nothing is clipped, and do(x1 = v) shifts x2 by 2v and x0 by 0.
func chain() *Graph {
	g := &Graph{N: 3, Order: []int{0, 1, 2}, Parents: [][]int{nil, {0}, {1}},
		Mechanisms: [][]Mechanism{nil, {Linear}, {Linear}}, Weights: [][]float64{nil, {1}, {1}},
		Noise: NoiseGaussian, NoiseScale: 1}
	g.planSharing()
	return g
}

func TestExpectedShiftsClosedForm(t *testing.T) {
	g := chain()
	dos := []Intervention{{Node: 0, Value: 1.5}, {Node: 1, Value: -2}}
	got := g.ExpectedShifts(rand.New(rand.NewPCG(1, 2)), dos, 500)
	// Each effect is v·gain − gain·mean(x_k), the mean over the 500 shared
	// noise draws: |mean(x_k)| < 5·sd(x_k)/√500 with overwhelming
	// probability (sd² of x0, x1, x2: 1, 5, 21).
	want := []float64{1.5, 3, 6, 0, -2, -4}
	sd := []float64{1, 2, 4, 0, 1 * math.Sqrt(5), 2 * math.Sqrt(5)}
	for i, w := range want {
		if tol := 5*sd[i]/math.Sqrt(500) + 1e-5; math.Abs(float64(got[i])-w) > tol {
			t.Errorf("effect %d = %v, want %v ± %.3g", i, got[i], w, tol)
		}
	}
	// Common random numbers make every unit of a linear SCM shift alike:
	// x2 moves exactly twice as far as x1.
	if math.Abs(float64(got[2])-2*float64(got[1])) > 1e-5 {
		t.Errorf("do(x0): x2 shifts %v, not twice x1's %v", got[2], got[1])
	}
	if got[3] != 0 {
		t.Errorf("do(x1) shifts its ancestor x0 by %v, want exactly 0", got[3])
	}
}

// TestExpectedShiftsMatchLargeSamples compares the common-random-numbers
// estimate with the difference of two independent large-sample means on
// random nonlinear SCMs; the tolerance is 5 standard errors of that
// difference (from the samples' own variances) plus 5 of the estimate.
func TestExpectedShiftsMatchLargeSamples(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Prior, cfg.Nodes, cfg.Degree = PriorER, 8, 1.5
	const big, crn = 40000, 4000
	for seed := range uint64(3) {
		r := rand.New(rand.NewPCG(seed, 7))
		g, err := NewGraph(cfg, r)
		if err != nil {
			t.Fatal(err)
		}
		do := Intervention{Node: r.IntN(cfg.Nodes), Value: 3}
		est := g.ExpectedShifts(r, []Intervention{do}, crn)
		obs, intv := g.Sample(r, big, nil), g.Sample(r, big, &do)
		for j := range cfg.Nodes {
			mo, vo := moments(obs, j, cfg.Nodes)
			mi, vi := moments(intv, j, cfg.Nodes)
			se := math.Sqrt(vo/big + vi/big)
			// The estimate's own spread is bounded by the larger variance.
			tol := 5*se + 5*math.Sqrt((vo+vi)/crn) + 1e-6
			if d := math.Abs(float64(est[j]) - (mi - mo)); d > tol {
				t.Errorf("seed %d do(x%d=3): x%d shift %v, large samples %v (|diff| %.3g > %.3g)", seed, do.Node, j, est[j], mi-mo, d, tol)
			}
		}
	}
}

func moments(x []float32, j, n int) (mean, variance float64) {
	s := len(x) / n
	for i := range s {
		mean += float64(x[i*n+j])
	}
	mean /= float64(s)
	for i := range s {
		d := float64(x[i*n+j]) - mean
		variance += d * d
	}
	return mean, variance / float64(s-1)
}

func TestRegimesLayout(t *testing.T) {
	p := DefaultRegimePrior()
	p.EffectSamples = 50
	for i := range 20 {
		d, err := NewRegimes(p, 7, 11, i)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Samples) != d.R*d.N || len(d.Intervened) != d.R*d.N || len(d.Effects) != p.Queries*d.N {
			t.Fatalf("data set %d: sizes %d %d %d for R=%d N=%d", i, len(d.Samples), len(d.Intervened), len(d.Effects), d.R, d.N)
		}
		if d.ObsRows < p.MinRows || d.R > p.MaxTotalRows+p.MaxRows {
			t.Errorf("data set %d: %d observational rows of %d", i, d.ObsRows, d.R)
		}
		for r := range d.R {
			ones := 0
			for j := range d.N {
				if d.Intervened[r*d.N+j] == 1 {
					ones++
				}
			}
			if (r < d.ObsRows) != (ones == 0) || ones > 1 {
				t.Fatalf("data set %d row %d: %d intervened variables (observational rows come first)", i, r, ones)
			}
		}
		for q, qu := range d.Queries {
			seen := false
			for r := d.ObsRows; r < d.R; r++ {
				seen = seen || d.Intervened[r*d.N+qu.Node] == 1
			}
			if seen != d.Seen[q] {
				t.Errorf("data set %d query %d: Seen %t, the data say %t", i, q, d.Seen[q], seen)
			}
		}
	}
	a, _ := NewRegimes(p, 7, 11, 3)
	b, _ := NewRegimes(p, 7, 11, 3)
	for i := range a.Samples {
		if a.Samples[i] != b.Samples[i] {
			t.Fatal("the same (seed, index) gave different data")
		}
	}
}

func TestRegimeStreamOrderAndDeterminism(t *testing.T) {
	p := DefaultRegimePrior()
	p.EffectSamples, p.MaxRows = 20, 30
	cfg := RegimeStreamConfig{Prior: p, Batch: 3, MinNodes: 3, MaxNodes: 9, Workers: 3}
	s, err := NewRegimeStream(cfg, 5)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 6 {
		b, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		want := RegimeBatchAt(cfg, 5, i)
		if b.Index != i || b.N != want.N || b.Sets[2].R != want.Sets[2].R || b.Sets[2].Samples[0] != want.Sets[2].Samples[0] {
			t.Fatalf("batch %d differs from RegimeBatchAt", i)
		}
	}
	s.Close()
	if _, err := s.Next(); err != ErrClosed {
		t.Fatalf("Next after Close: %v", err)
	}
}

// TestDrawNodesLaw: drawNodes follows P(N) ∝ N^−α. With 200,000 draws the
// standard error of a frequency p is at most √(p/200000) < 0.0012, so a
// tolerance of 0.005 (over 4 standard errors) fails only on a wrong law; α = 0
// keeps the single IntN draw of the uniform stream, so runs recorded before
// the exponent existed see the same N.
func TestDrawNodesLaw(t *testing.T) {
	const lo, hi, draws = 5, 50, 200000
	for _, alpha := range []float64{0, 1, 1.5} {
		rng := newRand(7, domainRegimeNodes, 0)
		counts := make([]int, hi+1)
		for range draws {
			n := drawNodes(rng, lo, hi, alpha)
			if n < lo || n > hi {
				t.Fatalf("α %g: drew %d outside %d–%d", alpha, n, lo, hi)
			}
			counts[n]++
		}
		total := 0.0
		for n := lo; n <= hi; n++ {
			total += math.Pow(float64(n), -alpha)
		}
		for n := lo; n <= hi; n++ {
			want := math.Pow(float64(n), -alpha) / total
			if got := float64(counts[n]) / draws; math.Abs(got-want) > 0.005 {
				t.Errorf("α %g: P(N=%d) = %.4f, want %.4f", alpha, n, got, want)
			}
		}
	}
	a, b := newRand(3, domainRegimeNodes, 9), newRand(3, domainRegimeNodes, 9)
	if got, want := drawNodes(a, lo, hi, 0), lo+b.IntN(hi-lo+1); got != want {
		t.Fatalf("α 0 drew %d, the uniform IntN draw gives %d", got, want)
	}
	if got := drawNodes(a, 12, 12, 2); got != 12 {
		t.Fatalf("a one-value range drew %d", got)
	}
}

func TestRegimeStreamRejectsBadNodeExponent(t *testing.T) {
	for _, alpha := range []float64{-1, math.NaN(), math.Inf(1)} {
		cfg := RegimeStreamConfig{Prior: DefaultRegimePrior(), Batch: 1, MinNodes: 3, MaxNodes: 9, NodeExponent: alpha}
		if _, err := NewRegimeStream(cfg, 1); err == nil || !strings.Contains(err.Error(), "node exponent") {
			t.Errorf("node exponent %g: err %v, want one naming the node exponent", alpha, err)
		}
	}
}
