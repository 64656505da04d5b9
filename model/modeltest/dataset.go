package modeltest

import (
	"causeway/contract"
	"causeway/model"
	"causeway/scm"
	"math"
	"math/rand/v2"
)

// SmallDataSetConfig is a fast Model F architecture.
func SmallDataSetConfig() model.Config {
	c := model.DefaultConfig(model.VariantF)
	c.DModel, c.Heads, c.Layers, c.FF, c.Triangle = 16, 2, 2, 24, 6
	return c
}

// DataSetConfigs are the Model F configurations parity tests cover, by
// label: the small architecture in the latest statistics version with a
// triangle update, in version 3 with one (the shipped model-f's), in
// versions 1 and 2 without one (version 2: the architecture of the first
// shipped model-f), and the default size.
func DataSetConfigs() []LabeledConfig {
	v1, v2, v3 := SmallDataSetConfig(), SmallDataSetConfig(), SmallDataSetConfig()
	v1.Stats, v2.Stats, v3.Stats = 1, 2, 3
	v1.Triangle, v2.Triangle = 0, 0
	return []LabeledConfig{
		{"small", SmallDataSetConfig()}, {"small-stats-1", v1}, {"small-stats-2", v2}, {"small-stats-3", v3},
		{"default", model.DefaultConfig(model.VariantF)},
	}
}

// LabeledConfig is a configuration with a label for test names.
type LabeledConfig struct {
	Label  string
	Config model.Config
}

// DataSet kinds for RandomDataSet.
const (
	// Mixed data sets have observational rows and interventional blocks.
	Mixed = "mixed"
	// Observational data sets have no interventions.
	Observational = "observational"
	// MultiTarget data sets also have rows with two intervened variables.
	MultiTarget = "multi-target"
)

// RandomDataSet draws b data sets of n variables from scm's regime prior
// (at most 60 rows a regime), cuts them to one row count, and returns them
// in the data-set contract with q queries each (the prior's queries: on
// intervened and unintervened variables).
func RandomDataSet(seed uint64, b, n, q int, kind string) *contract.DataSet {
	p := scm.DefaultRegimePrior()
	p.MaxRows, p.MinRows, p.Queries, p.EffectSamples = 60, 20, q, 10
	if kind == Observational {
		p.ObsOnly = 1
	} else {
		p.ObsOnly = 0
	}
	var sets []*scm.Regimes
	r := 1 << 30
	for i := range b {
		d, err := scm.NewRegimes(p, n, seed, i)
		if err != nil {
			panic(err)
		}
		sets = append(sets, d)
		r = min(r, d.R)
	}
	out := &contract.DataSet{B: b, R: r, N: n, Q: q}
	for _, d := range sets {
		out.Samples = append(out.Samples, d.Samples[:r*n]...)
		m := append([]float32(nil), d.Intervened[:r*n]...)
		if kind == MultiTarget {
			// Every fourth row also sets its neighbour variable (a second
			// target), with the value it already has.
			for row := 0; row < r; row += 4 {
				m[row*n+(row/4)%n] = 1
				m[row*n+(row/4+1)%n] = 1
			}
		}
		out.Intervened = append(out.Intervened, m...)
		for _, qu := range d.Queries {
			mask := make([]float32, n)
			mask[qu.Node] = 1
			out.QueryMask = append(out.QueryMask, mask...)
			out.QueryValue = append(out.QueryValue, float32(qu.Value))
		}
	}
	return out
}

// RoundingSensitivity returns how far the float64 reference's outputs for
// d move when every sample is moved by one float32 ulp (random direction;
// the largest change over three draws): the part of a
// float32 rendering's difference from the reference that the data's
// conditioning alone explains. Well-conditioned data give ~1e-6; a column
// that hardly varies (its spread under the statistics' floors) can give
// 1e-3, because its standardised values are mostly rounding noise.
func RoundingSensitivity(c model.Config, p model.Params, d *contract.DataSet) (adj, effect float64, err error) {
	wa, we, err := model.PredictDataSet(c, p, d)
	if err != nil {
		return 0, 0, err
	}
	rng := rand.New(rand.NewPCG(0x5e45, uint64(d.R*d.N)))
	for range 3 {
		e := *d
		e.Samples = append([]float32(nil), d.Samples...)
		for i, v := range e.Samples {
			dir := float32(math.Inf(1))
			if rng.IntN(2) == 0 {
				dir = -dir
			}
			e.Samples[i] = math.Nextafter32(v, dir)
		}
		ga, ge, err := model.PredictDataSet(c, p, &e)
		if err != nil {
			return 0, 0, err
		}
		adj, effect = max(adj, MaxAbsDiff(ga, wa)), max(effect, MaxAbsDiff(ge, we))
	}
	return adj, effect, nil
}

// MaxAbsDiff returns max_i |a_i − b_i| over equal-length a and b.
func MaxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}
