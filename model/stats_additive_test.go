package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestAdditiveBasisValue: the basis is z, z² and two tents of clamp(z, ±1)
// that, with the complementary tent at +1, partition unity on [−1, 1].
func TestAdditiveBasisValue(t *testing.T) {
	for _, tc := range []struct{ z, z2, tMinus, tZero float64 }{
		{-3, 9, 1, 0}, {-1, 1, 1, 0}, {-0.5, 0.25, 0.5, 0.5}, {0, 0, 0, 1},
		{0.25, 0.0625, 0, 0.75}, {1, 1, 0, 0}, {4, 16, 0, 0},
	} {
		got := []float64{AdditiveBasisValue(tc.z, 0), AdditiveBasisValue(tc.z, 1), AdditiveBasisValue(tc.z, 2), AdditiveBasisValue(tc.z, 3)}
		want := []float64{tc.z, tc.z2, tc.tMinus, tc.tZero}
		for b := range want {
			if math.Abs(got[b]-want[b]) > 1e-12 {
				t.Errorf("z=%g basis %d: %g, want %g", tc.z, b, got[b], want[b])
			}
		}
	}
}

// additiveStatsOf computes version-4 statistics of columns drawn by draw.
func additiveStatsOf(rows, n int, draw func(r *rand.Rand, x []float64)) *DataStats {
	c := DefaultConfig(VariantF)
	c.Stats = 4
	r := rand.New(rand.NewPCG(3, 5))
	x, m := make([]float64, rows*n), make([]float64, rows*n)
	for i := range rows {
		draw(r, x[i*n:(i+1)*n])
	}
	return DataSetStats(c, x, m, rows, n)
}

// TestAdditiveSeparatesParentsFromAncestors: in the nonlinear chain x0 →
// x1 → x2 (x1 = 2·tanh(1.5·x0) + noise, x2 = x1² + noise) x0 is an ancestor
// of x2 but independent of it given x1. The linear joint partial
// correlation misses the parent x1 → x2 altogether (x2 is even in x1); the
// additive dependence ranks both direct pairs clearly above the ancestor,
// and its directed form sees that a function of x1 explains x2, not the
// reverse. Tolerances: with R = 4000 rows a partial correlation's sampling
// noise is ≈ 1/√R = 0.016 (the block RMS of 16 of them likewise), and the
// measured values (direct pairs 0.15–0.16, the ancestor 0.06, directed
// 0.18 against 0.03) leave margins of several times that.
func TestAdditiveSeparatesParentsFromAncestors(t *testing.T) {
	s := additiveStatsOf(4000, 3, func(r *rand.Rand, x []float64) {
		x[0] = r.NormFloat64()
		x[1] = 2*math.Tanh(1.5*x[0]) + 0.3*r.NormFloat64()
		x[2] = x[1]*x[1] + 0.3*r.NormFloat64()
	})
	n := s.N
	at := func(v []float64, i, j int) float64 { return v[i*n+j] }
	if lin := math.Abs(at(s.JointPartial, 1, 2)); lin > 0.1 {
		t.Errorf("|JointPartial(x1, x2)| = %.3f: the linear statistic sees the even mechanism, so the test does not show what it is for", lin)
	}
	direct := min(at(s.Additive, 0, 1), at(s.Additive, 1, 2))
	if anc := at(s.Additive, 0, 2); direct < 0.1 || anc > 0.6*direct {
		t.Errorf("Additive: direct pairs ≥ %.3f, the ancestor %.3f; want direct ≥ 0.1 and the ancestor under 0.6 of it", direct, anc)
	}
	if fwd, rev := at(s.AdditiveDirected, 1, 2), at(s.AdditiveDirected, 2, 1); fwd < 3*rev {
		t.Errorf("AdditiveDirected(x1 → x2) = %.3f, (x2 → x1) = %.3f: want the direction a function explains 3× above", fwd, rev)
	}
	for i := range n {
		for j := range n {
			if at(s.Additive, i, j) != at(s.Additive, j, i) {
				t.Fatalf("Additive is not symmetric at (%d, %d)", i, j)
			}
		}
	}
}

// TestAdditiveConstantColumnIsQuiet: a column that never varies has no
// dependence on anything (its centred basis is zero, the ridge keeps the
// normalised Gram finite).
func TestAdditiveConstantColumnIsQuiet(t *testing.T) {
	s := additiveStatsOf(500, 3, func(r *rand.Rand, x []float64) {
		x[0] = r.NormFloat64()
		x[1] = 4
		x[2] = x[0] + 0.5*r.NormFloat64()
	})
	for _, v := range []float64{s.Additive[0*3+1], s.Additive[2*3+1], s.AdditiveDirected[1*3+0], s.AdditiveDirected[0*3+1]} {
		if math.IsNaN(v) || v > 1e-9 {
			t.Errorf("a constant column's dependence is %g, want 0", v)
		}
	}
}

// BenchmarkDataSetStats times the statistics of one data set of Model F's
// largest training size (N = 50, 6,000 rows) per statistics version.
func BenchmarkDataSetStats(b *testing.B) {
	const rows, n = 6000, 50
	r := rand.New(rand.NewPCG(1, 2))
	x, m := make([]float64, rows*n), make([]float64, rows*n)
	for i := range x {
		x[i] = r.NormFloat64()
	}
	for v := 3; v <= LatestStats; v++ {
		c := DefaultConfig(VariantF)
		c.Stats = v
		b.Run(fmt.Sprint("v", v), func(b *testing.B) {
			for b.Loop() {
				DataSetStats(c, x, m, rows, n)
			}
		})
	}
}

// BenchmarkAdditiveDependence times the version-4 statistic alone at N = 50
// and 6,000 rows.
func BenchmarkAdditiveDependence(b *testing.B) {
	const rows, n = 6000, 50
	r := rand.New(rand.NewPCG(1, 2))
	z := make([]float64, rows*n)
	for i := range z {
		z[i] = r.NormFloat64()
	}
	for b.Loop() {
		additiveDependence(z, rows, n)
	}
}
