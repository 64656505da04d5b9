package train

import (
	"fmt"
	"math"
	"runtime"

	"causeway/internal/parallel"
)

// Adam is the Adam optimiser with decoupled weight decay (AdamW as in
// Loshchilov & Hutter and PyTorch's torch.optim.AdamW). It updates float32
// parameters in place; moments are kept in float32 like PyTorch's.
//
// gorgonia's own AdamW solver does not change the weights (measured), so
// causeway owns this small loop.
type Adam struct {
	Beta1, Beta2 float64
	Eps          float64
	WeightDecay  float64
	// Step is the number of updates applied so far (bias correction uses it).
	Step int
	// M and V are the first and second moments by parameter name.
	M, V map[string][]float32
}

// NewAdam returns an optimiser with PyTorch AdamW's defaults
// (β = 0.9, 0.999, ε = 1e-8) and the given decoupled weight decay.
func NewAdam(weightDecay float64) *Adam {
	return &Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: weightDecay,
		M: map[string][]float32{}, V: map[string][]float32{}}
}

// Update applies one step with learning rate lr to every parameter in names
// (an explicit order keeps the floating-point work deterministic). Weight
// decay is decoupled: w ← w − lr·λ·w, then the Adam step.
func (a *Adam) Update(names []string, params, grads map[string][]float32, lr float64) error {
	step := a.Step + 1
	bc1 := 1 - math.Pow(a.Beta1, float64(step))
	bc2 := 1 - math.Pow(a.Beta2, float64(step))
	k := adamStep{stepSize: lr / bc1, sqrtBC2: math.Sqrt(bc2), eps: a.Eps,
		b1: float32(a.Beta1), b2: float32(a.Beta2), c1: float32(1 - a.Beta1), c2: float32(1 - a.Beta2),
		decay: float32(1 - lr*a.WeightDecay)}
	var chunks []adamChunk
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if seen[name] {
			return fmt.Errorf("adam: parameter %s is listed twice", name)
		}
		seen[name] = true
		w, g := params[name], grads[name]
		if len(w) != len(g) {
			return fmt.Errorf("adam: parameter %s has %d values but %d gradients", name, len(w), len(g))
		}
		m, v := a.M[name], a.V[name]
		if m == nil {
			m, v = make([]float32, len(w)), make([]float32, len(w))
			a.M[name], a.V[name] = m, v
		}
		if len(m) != len(w) || len(v) != len(w) {
			return fmt.Errorf("adam: parameter %s has %d values but moments of %d and %d", name, len(w), len(m), len(v))
		}
		for lo := 0; lo < len(w); lo += adamChunkSize {
			hi := min(lo+adamChunkSize, len(w))
			chunks = append(chunks, adamChunk{w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi]})
		}
	}
	// Nothing is changed until every parameter is checked. Every element is
	// updated on its own, so splitting the work over the cores gives the
	// same bits as one loop.
	a.Step = step
	workers := min(runtime.GOMAXPROCS(0), len(chunks))
	if workers <= 1 {
		for _, c := range chunks {
			k.apply(c)
		}
		return nil
	}
	parallel.Run(workers, workers, func(id int) {
		for i := id; i < len(chunks); i += workers {
			k.apply(chunks[i])
		}
	})
	return nil
}

// adamChunkSize is the number of elements of one parameter one goroutine
// updates at a time.
const adamChunkSize = 1 << 14

// adamChunk is a range of one parameter: weights, gradients and moments.
type adamChunk struct{ w, g, m, v []float32 }

// adamStep holds one update's constants.
type adamStep struct {
	stepSize, sqrtBC2, eps float64
	b1, b2, c1, c2, decay  float32
}

func (k adamStep) apply(c adamChunk) {
	w, m, v := c.w, c.m[:len(c.w)], c.v[:len(c.w)]
	for i, gi := range c.g[:len(c.w)] {
		m[i] = k.b1*m[i] + k.c1*gi
		v[i] = k.b2*v[i] + k.c2*gi*gi
		denom := math.Sqrt(float64(v[i]))/k.sqrtBC2 + k.eps
		w[i] = w[i]*k.decay - float32(k.stepSize*float64(m[i])/denom)
	}
}

// ClipGradNorm scales every gradient so that their global L2 norm is at most
// maxNorm (PyTorch's clip_grad_norm_), and returns the norm before clipping.
// A maxNorm ≤ 0 only measures. A non-finite norm is returned as is, with the
// gradients untouched, so the caller can skip the step.
func ClipGradNorm(names []string, grads map[string][]float32, maxNorm float64) float64 {
	var sum float64
	for _, name := range names {
		for _, g := range grads[name] {
			sum += float64(g) * float64(g)
		}
	}
	norm := math.Sqrt(sum)
	if maxNorm <= 0 || norm <= maxNorm || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	scale := float32(maxNorm / (norm + 1e-6))
	for _, name := range names {
		g := grads[name]
		for i := range g {
			g[i] *= scale
		}
	}
	return norm
}

// Schedule gives the learning rate at a step: linear warm-up from 0 over
// Warmup steps, then cosine decay from Peak to Peak·MinFactor at Total.
type Schedule struct {
	Peak      float64
	Warmup    int
	Total     int
	MinFactor float64
}

// At returns the learning rate for step (1-based).
func (s Schedule) At(step int) float64 {
	if s.Warmup > 0 && step <= s.Warmup {
		return s.Peak * float64(step) / float64(s.Warmup)
	}
	span := s.Total - s.Warmup
	if span <= 0 {
		return s.Peak
	}
	p := math.Min(1, float64(step-s.Warmup)/float64(span))
	f := s.MinFactor + (1-s.MinFactor)*0.5*(1+math.Cos(math.Pi*p))
	return s.Peak * f
}

// Temperature is Model C's Gumbel-sigmoid τ schedule: exponential
// interpolation from Start at step 1 to End at Total.
type Temperature struct {
	Start, End float64
	Total      int
}

// At returns τ for step (1-based).
func (t Temperature) At(step int) float64 {
	if t.Total <= 1 {
		return t.End
	}
	p := math.Min(1, math.Max(0, float64(step-1)/float64(t.Total-1)))
	return t.Start * math.Pow(t.End/t.Start, p)
}
