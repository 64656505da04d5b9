package onnxrt

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/advancedclimatesystems/gonnx"

	"causeway/contract"
	"causeway/model"
	"causeway/model/modeltest"
	"causeway/onnxfile"
)

// TestDataSetParity runs Model F (small and default size, fused and
// unfused plans) against model.PredictDataSet on mixed, observational-only
// and multi-target data sets.
func TestDataSetParity(t *testing.T) {
	for _, lc := range modeltest.DataSetConfigs() {
		kind, c := lc.Label, lc.Config
		p, b := exported(t, c, 5)
		fused, err := LoadBytes("f", b)
		if err != nil {
			t.Fatal(err)
		}
		unfused, err := loadBytes(context.Background(), "f", b, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range []int{2, 9, 25} {
			for _, dk := range []string{modeltest.Mixed, modeltest.Observational, modeltest.MultiTarget} {
				d := modeltest.RandomDataSet(uint64(40+i), 2, n, 4, dk)
				wa, we, err := model.PredictDataSet(c, p, d)
				if err != nil {
					t.Fatal(err)
				}
				for name, m := range map[string]*Model{"fused": fused, "unfused": unfused} {
					got, err := m.RunDataSet(context.Background(), d)
					if err != nil {
						t.Fatalf("%s %s N=%d %s: %v", kind, name, n, dk, err)
					}
					if a, e := maxDiff(got.AdjLogits, wa), maxDiff(got.Effect, we); a > 1e-4 || e > 1e-4 {
						t.Errorf("%s %s N=%d %s: adj_logits %.3g effect %.3g", kind, name, n, dk, a, e)
					}
				}
			}
		}
	}
}

// permuteDataSet relabels the variables of d: new variable perm[i] is old
// variable i.
func permuteDataSet(d *contract.DataSet, perm []int) *contract.DataSet {
	n := d.N
	out := &contract.DataSet{B: d.B, R: d.R, N: n, Q: d.Q, QueryValue: d.QueryValue,
		Samples: make([]float32, len(d.Samples)), Intervened: make([]float32, len(d.Intervened)), QueryMask: make([]float32, len(d.QueryMask))}
	for row := range len(d.Samples) / n {
		for i, pi := range perm {
			out.Samples[row*n+pi] = d.Samples[row*n+i]
			out.Intervened[row*n+pi] = d.Intervened[row*n+i]
		}
	}
	for row := range len(d.QueryMask) / n {
		for i, pi := range perm {
			out.QueryMask[row*n+pi] = d.QueryMask[row*n+i]
		}
	}
	return out
}

// TestDataSetPermutationEquivariance permutes the columns of a data set
// and requires both outputs to permute the same way (up to float32
// reassociation in the executor's sums).
func TestDataSetPermutationEquivariance(t *testing.T) {
	c := modeltest.SmallDataSetConfig()
	_, b := exported(t, c, 8)
	m, err := LoadBytes("f", b)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{4, 11} {
		d := modeltest.RandomDataSet(77, 1, n, 3, modeltest.Mixed)
		perm := rng.Perm(n)
		a, err := m.RunDataSet(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		pa, err := m.RunDataSet(context.Background(), permuteDataSet(d, perm))
		if err != nil {
			t.Fatal(err)
		}
		adj, eff := make([]float32, n*n), make([]float32, len(a.Effect))
		for i := range n {
			for j := range n {
				adj[perm[i]*n+perm[j]] = a.AdjLogits[i*n+j]
			}
		}
		for q := range d.Q {
			for j := range n {
				eff[q*n+perm[j]] = a.Effect[q*n+j]
			}
		}
		if x, y := maxDiff(pa.AdjLogits, adj), maxDiff(pa.Effect, eff); x > 1e-4 || y > 1e-4 {
			t.Errorf("N=%d: permuted outputs differ by adj %.3g, effect %.3g", n, x, y)
		}
	}
}

// TestDataSetBadInput requires a clear error, naming the problem, for
// every malformed data set.
func TestDataSetBadInput(t *testing.T) {
	c := modeltest.SmallDataSetConfig()
	_, b := exported(t, c, 8)
	m, err := LoadBytes("f", b)
	if err != nil {
		t.Fatal(err)
	}
	good := func() *contract.DataSet { return modeltest.RandomDataSet(5, 1, 4, 2, modeltest.Mixed) }
	cases := []struct {
		name, want string
		edit       func(d *contract.DataSet)
	}{
		{"NaN sample", "must be finite", func(d *contract.DataSet) { d.Samples[3] = float32(nanValue()) }},
		{"one row", "at least 2", func(d *contract.DataSet) {
			d.R, d.Samples, d.Intervened = 1, d.Samples[:d.N], d.Intervened[:d.N]
		}},
		{"intervened 0.5", "want 0 or 1", func(d *contract.DataSet) { d.Intervened[0] = 0.5 }},
		{"two-hot query", "exactly one", func(d *contract.DataSet) { d.QueryMask[0], d.QueryMask[1] = 1, 1 }},
		{"no-hot query", "exactly one", func(d *contract.DataSet) { clear(d.QueryMask[:d.N]) }},
		{"short samples", "samples has", func(d *contract.DataSet) { d.Samples = d.Samples[1:] }},
		{"too many variables", "max_nodes", func(d *contract.DataSet) { d.N = c.MaxNodes + 1 }},
		{"one variable", "at least 2", func(d *contract.DataSet) { d.N = 1 }},
	}
	for _, tc := range cases {
		d := good()
		tc.edit(d)
		_, err := m.RunDataSet(context.Background(), d)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
	if _, err := m.Run(contract.Pairs{}); err == nil || !strings.Contains(err.Error(), "RunDataSet") {
		t.Errorf("Run on a data-set model: %v", err)
	}

}

func nanValue() float64 { var z float64; return z / z }

// TestShippedDataSetModelParity runs the shipped, trained models/model-f.onnx
// in the executor against the float64 reference on its own weights.
func TestShippedDataSetModelParity(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "models", "model-f.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	mp, err := gonnx.ModelProtoFromBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	c, p, err := onnxfile.ParamsOf(mp)
	if err != nil {
		t.Fatal(err)
	}
	m, err := LoadBytes("model-f", b)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{5, 20, 30} {
		for _, kind := range []string{modeltest.Mixed, modeltest.Observational, modeltest.MultiTarget} {
			d := modeltest.RandomDataSet(uint64(700+i), 2, n, 3, kind)
			wa, we, got := referenceAndRun(t, c, p, m, d)
			// Trained weights: 1e-4 absolute plus 1e-5 of the value (float32
			// sums over thousands of rows through a Newton–Schulz inverse;
			// see export's TestShippedDataSetModelInONNXRuntime), or 10×
			// what moving every input by one float32 ulp does to the
			// reference itself, where the data are that ill-conditioned.
			sa, se, err := modeltest.RoundingSensitivity(c, p, d)
			if err != nil {
				t.Fatal(err)
			}
			ta, te := max(1e-4, 10*sa), max(1e-4, 10*se)
			if a, e := maxDiffRel(got.AdjLogits, wa, 1e-5), maxDiffRel(got.Effect, we, 1e-5); a > ta || e > te {
				t.Errorf("N=%d %s: adj_logits %.3g (bound %.2g) effect %.3g (bound %.2g)", n, kind, a, ta, e, te)
			} else {
				t.Logf("N=%d %s: adj_logits %.2g (bound %.2g) effect %.2g (bound %.2g)", n, kind, a, ta, e, te)
			}
		}
	}
}

// TestDataSetParityLargeN runs the default Model F at N = 60 and the
// largest N (max_nodes) against the reference: the version-4 statistics
// invert a 4N×4N matrix by Newton–Schulz iterations in float32, which must
// converge there as well (model.DataStats bounds its eigenvalues).
func TestDataSetParityLargeN(t *testing.T) {
	if testing.Short() {
		t.Skip("a data set of 100 variables")
	}
	c := model.DefaultConfig(model.VariantF)
	p, b := exported(t, c, 5)
	m, err := LoadBytes("f", b)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{60, c.MaxNodes} {
		d := modeltest.RandomDataSet(uint64(70+i), 1, n, 2, modeltest.Mixed)
		wa, we, got := referenceAndRun(t, c, p, m, d)
		if a, e := maxDiff(got.AdjLogits, wa), maxDiff(got.Effect, we); a > 1e-4 || e > 1e-4 {
			t.Errorf("N=%d: adj_logits %.3g effect %.3g", n, a, e)
		} else {
			t.Logf("N=%d R=%d: adj_logits %.3g effect %.3g", n, d.R, a, e)
		}
	}
}

// referenceAndRun returns the float64 reference's outputs for d (adj_logits,
// effect) and the executor's.
func referenceAndRun(t *testing.T, c model.Config, p model.Params, m *Model, d *contract.DataSet) (adj, effect []float32, got DataSetOutputs) {
	t.Helper()
	adj, effect, err := model.PredictDataSet(c, p, d)
	if err != nil {
		t.Fatal(err)
	}
	if got, err = m.RunDataSet(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return adj, effect, got
}
