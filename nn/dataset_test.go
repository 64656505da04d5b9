package nn

import (
	"math/rand/v2"
	"slices"
	"testing"

	"causeway/contract"
	"causeway/model"
	"causeway/model/modeltest"
	"causeway/scm"
)

// smallF is modeltest's small Model F.
func smallF() model.Config { return modeltest.SmallDataSetConfig() }

// regimeBatch draws b data sets of n variables and q queries.
func regimeBatch(t testing.TB, b, n, q int, seed uint64) *DataSetBatch {
	t.Helper()
	p := scm.DefaultRegimePrior()
	p.Queries, p.MaxRows, p.EffectSamples = q, 40, 200
	out := &DataSetBatch{B: b, N: n, Q: q}
	for i := range b {
		d, err := scm.NewRegimes(p, n, seed, i)
		if err != nil {
			t.Fatal(err)
		}
		e := DataSetElement{R: d.R, Samples: d.Samples, Intervened: d.Intervened, Adj: d.Adj, Effect: d.Effects}
		for _, qu := range d.Queries {
			e.QueryNodes = append(e.QueryNodes, qu.Node)
			e.QueryValues = append(e.QueryValues, float32(qu.Value))
		}
		out.Sets = append(out.Sets, e)
	}
	return out
}

func TestDataSetPredictMatchesReference(t *testing.T) {
	for _, version := range []int{1, model.LatestStats} {
		cfg := smallF()
		cfg.Stats = version
		p, err := modeltest.InitAll(cfg, 3)
		if err != nil {
			t.Fatal(err)
		}
		net, err := NewNet(cfg, p)
		if err != nil {
			t.Fatal(err)
		}
		predictMatchesReference(t, cfg, p, net)
	}
}

func predictMatchesReference(t *testing.T, cfg model.Config, p model.Params, net *Net) {
	for _, n := range []int{3, 7, 12} {
		b := regimeBatch(t, 1, n, 3, uint64(n))
		adj, eff, err := net.PredictDataSet(b)
		if err != nil {
			t.Fatal(err)
		}
		e := b.Sets[0]
		d := &contract.DataSet{B: 1, R: e.R, N: n, Q: 3, Samples: e.Samples, Intervened: e.Intervened,
			QueryMask: make([]float32, 3*n), QueryValue: e.QueryValues}
		for q, k := range e.QueryNodes {
			d.QueryMask[q*n+k] = 1
		}
		radj, reff, err := model.PredictDataSet(cfg, p, d)
		if err != nil {
			t.Fatal(err)
		}
		if m := modeltest.MaxAbsDiff(adj, radj); m > 1e-4 {
			t.Errorf("N=%d adj_logits differ by %g", n, m)
		}
		if m := modeltest.MaxAbsDiff(eff, reff); m > 1e-4 {
			t.Errorf("N=%d effect differs by %g", n, m)
		}
	}
}

func TestDataSetStepLossFalls(t *testing.T) {
	cfg := smallF()
	p, _ := model.Init(cfg, 1)
	net, err := NewNet(cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	b := regimeBatch(t, 4, 6, 4, 9)
	rng := rand.New(rand.NewPCG(1, 2))
	first, err := net.StepDataSet(b, DefaultDataSetWeights(), rng)
	if err != nil {
		t.Fatal(err)
	}
	// Plain gradient descent on one fixed batch must lower its loss.
	for range 30 {
		for name, g := range net.Grads() {
			d := net.Params()[name].Data
			for i := range d {
				d[i] -= 0.01 * g[i]
			}
		}
		if _, err := net.StepDataSet(b, DefaultDataSetWeights(), rng); err != nil {
			t.Fatal(err)
		}
	}
	last, _ := net.StepDataSet(b, DefaultDataSetWeights(), rng)
	if !(last.Total < first.Total) {
		t.Fatalf("loss %v → %v: did not fall", first, last)
	}
	t.Logf("loss %+v → %+v", first, last)
}

// TestDataSetPrepare: a batch prepared for the net's configuration gives
// the step's loss and gradients bit for bit, and the step reads the
// prepared statistics (changing them changes the loss); one prepared for
// another configuration (other statistics) is recomputed, not misread.
func TestDataSetPrepare(t *testing.T) {
	cfg := smallF()
	p, _ := model.Init(cfg, 1)
	other := cfg
	other.Stats = 1
	cases := []struct {
		name    string
		prepare func(b *DataSetBatch)
	}{
		{"unprepared", func(*DataSetBatch) {}},
		{"prepared", func(b *DataSetBatch) { b.Prepare(cfg) }},
		{"prepared for another configuration", func(b *DataSetBatch) { b.Prepare(other) }},
		// The step must read what Prepare computed: a changed statistic
		// changes the loss.
		{"prepared, then a statistic changed", func(b *DataSetBatch) {
			b.Prepare(cfg)
			for i := range b.prepared[0].pair {
				b.prepared[0].pair[i] += 0.5
			}
		}},
	}
	var want DataSetLoss
	var wantGrads map[string][]float32
	for i, tc := range cases {
		net, err := NewNet(cfg, p)
		if err != nil {
			t.Fatal(err)
		}
		b := regimeBatch(t, 3, 5, 2, 4)
		tc.prepare(b)
		loss, err := net.StepDataSet(b, DefaultDataSetWeights(), rand.New(rand.NewPCG(1, 2)))
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			want, wantGrads = loss, net.Grads()
			continue
		}
		if changed := tc.name == "prepared, then a statistic changed"; (loss != want) != changed {
			t.Errorf("%s: loss %+v, unprepared %+v", tc.name, loss, want)
			continue
		} else if changed {
			continue
		}
		for name, g := range net.Grads() {
			if !slices.Equal(g, wantGrads[name]) {
				t.Errorf("%s: gradient of %s differs", tc.name, name)
			}
		}
	}
}
