package scm

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Prior names a random-graph prior.
type Prior string

// The graph priors. Every one draws a uniformly random topological order and
// only adds edges that point forward in it, so each graph is a DAG by
// construction; node labels 0..N−1 are not topologically sorted.
const (
	// PriorNotebook is the reference notebook's prior: each forward pair is
	// an edge with probability Config.EdgeProb (expected in-degree p·(N−1)/2,
	// which grows with N).
	PriorNotebook Prior = "notebook"
	// PriorER is Erdős–Rényi with an expected in-degree Config.Degree: each
	// forward pair is an edge with probability 2·Degree/(N−1), so large
	// graphs stay sparse.
	PriorER Prior = "er"
	// PriorSF is scale-free (Barabási–Albert style): walking the order, each
	// node draws Config.Degree parents on average (floor or ceiling at
	// random, at most as many as there are earlier nodes) from the earlier
	// nodes, each with probability proportional to its degree plus one, so
	// a few hubs get many children.
	PriorSF Prior = "sf"
)

// Noise laws of the exogenous variables. Each has mean 0 and standard
// deviation Config.NoiseScale.
const (
	NoiseGaussian = "gaussian" // normal, σ = NoiseScale (the notebook)
	NoiseLaplace  = "laplace"  // Laplace with scale NoiseScale/√2
	NoiseUniform  = "uniform"  // uniform on ±√3·NoiseScale
)

// Pairings of an episode's target row with its intervened row.
const (
	// PairingRandom is the notebook's: the target row is a random base row
	// and the intervened row a random, independent interventional row, so
	// delta = intervened − target carries the noise of both.
	PairingRandom = "random"
	// PairingCounterfactual computes the intervened row from the same
	// exogenous noise as the target row, so delta is that unit's true effect
	// of the intervention (exactly 0 on non-descendants of the target).
	PairingCounterfactual = "counterfactual"
)

// Clip is the bound of the notebook's global clamp: every non-intervened value
// is clipped to [−Clip, Clip].
const Clip = 20.0

// ConstantStd is the sample standard deviation below which a column counts as
// near-constant in a Report (and is not rescaled by standardisation).
const ConstantStd = 1e-3

// Config describes a family of SCMs and how they are sampled. The zero value
// is not valid; start from DefaultConfig.
type Config struct {
	// Nodes is N, the number of variables (≥ 2).
	Nodes int `json:"nodes"`
	// Prior is the graph prior.
	Prior Prior `json:"prior"`
	// EdgeProb is the notebook prior's edge probability p in [0, 1].
	EdgeProb float64 `json:"edge_prob"`
	// Degree is the expected in-degree of the "er" and "sf" priors (≥ 0;
	// "er" needs Degree ≤ (N−1)/2 so that its edge probability is ≤ 1).
	Degree float64 `json:"degree"`
	// NoiseScale is the standard deviation of every node's exogenous noise (> 0).
	NoiseScale float64 `json:"noise_scale"`
	// Noise is the noise law: NoiseGaussian, NoiseLaplace or NoiseUniform.
	Noise string `json:"noise"`
	// Weights multiplies every edge's mechanism by a random weight, uniform
	// in [0.5, 2] with a random sign (the notebook's unused low/high).
	Weights bool `json:"weights"`
	// Standardize rescales every variable after sampling to mean 0 and
	// standard deviation 1 over the observational (base) samples, and
	// applies the same affine map to the interventional samples, the target
	// row and delta. Columns with std < ConstantStd are only centred.
	Standardize bool `json:"standardize"`
	// Samples is S, the rows of the observational set and of each
	// interventional set (≥ 2).
	Samples int `json:"samples"`
	// InterventionFrac is q in [0, 1]: a Dataset intervenes on ceil(N·q)
	// distinct nodes. (Stream elements intervene on one uniform node.)
	InterventionFrac float64 `json:"intervention_frac"`
	// Values are the hard-intervention values (finite, at least one).
	Values []float64 `json:"values"`
	// Pairing is PairingRandom or PairingCounterfactual.
	Pairing string `json:"pairing"`
}

// DefaultConfig returns the notebook's defaults: 20 nodes, the notebook prior
// with p = 0.3 (the dataset's), degree 2 for the other priors, Gaussian noise
// of scale 1, 100 samples, q = 0.5, values 5, 8, 10 and the random pairing.
func DefaultConfig() Config {
	return Config{
		Nodes:            20,
		Prior:            PriorNotebook,
		EdgeProb:         0.3,
		Degree:           2,
		NoiseScale:       1,
		Noise:            NoiseGaussian,
		Samples:          100,
		InterventionFrac: 0.5,
		Values:           []float64{5, 8, 10},
		Pairing:          PairingRandom,
	}
}

// Validate reports every invalid field of c, or nil when c can be sampled.
func (c Config) Validate() error {
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if c.Nodes < 2 {
		bad("nodes must be at least 2, got %d", c.Nodes)
	}
	switch c.Prior {
	case PriorNotebook, PriorER, PriorSF:
	default:
		bad("unknown prior %q (want notebook, er or sf)", c.Prior)
	}
	if !(c.EdgeProb >= 0 && c.EdgeProb <= 1) {
		bad("edge probability must be in [0, 1], got %v", c.EdgeProb)
	}
	if !(c.Degree >= 0) || math.IsInf(c.Degree, 0) {
		bad("degree must be a finite number ≥ 0, got %v", c.Degree)
	} else if c.Prior == PriorER && c.Nodes >= 2 && 2*c.Degree > float64(c.Nodes-1) {
		bad("degree %v is too large for the er prior with %d nodes: its edge probability 2·degree/(N−1) = %.3g exceeds 1 (use degree ≤ %v)",
			c.Degree, c.Nodes, 2*c.Degree/float64(c.Nodes-1), float64(c.Nodes-1)/2)
	}
	if !(c.NoiseScale > 0) || math.IsInf(c.NoiseScale, 0) {
		bad("noise scale must be a finite number > 0, got %v", c.NoiseScale)
	}
	switch c.Noise {
	case NoiseGaussian, NoiseLaplace, NoiseUniform:
	default:
		bad("unknown noise %q (want gaussian, laplace or uniform)", c.Noise)
	}
	if c.Samples < 2 {
		bad("samples must be at least 2, got %d", c.Samples)
	}
	if !(c.InterventionFrac >= 0 && c.InterventionFrac <= 1) {
		bad("intervention fraction must be in [0, 1], got %v", c.InterventionFrac)
	}
	if len(c.Values) == 0 {
		bad("at least one intervention value is needed")
	}
	for _, v := range c.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			bad("intervention values must be finite, got %v", v)
			break
		}
	}
	switch c.Pairing {
	case PairingRandom, PairingCounterfactual:
	default:
		bad("unknown pairing %q (want random or counterfactual)", c.Pairing)
	}
	if len(errs) > 0 {
		return errors.New("scm config: " + strings.Join(errs, "; "))
	}
	return nil
}

// targets returns ceil(N·q), the number of nodes a Dataset intervenes on. A
// tiny tolerance keeps products like 10·0.3 = 3.0000000000000004 at 3.
func (c Config) targets() int {
	k := int(math.Ceil(float64(c.Nodes)*c.InterventionFrac - 1e-9))
	return min(max(k, 0), c.Nodes)
}
