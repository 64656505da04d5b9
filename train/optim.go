package train

import (
	"fmt"
	"math"
	"runtime"

	"causeway/internal/parallel"
	"causeway/internal/simd"
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
	k := &simd.AdamStep{StepSize: lr / bc1, SqrtBC2: math.Sqrt(bc2), Eps: a.Eps,
		B1: float32(a.Beta1), B2: float32(a.Beta2), C1: float32(1 - a.Beta1), C2: float32(1 - a.Beta2),
		Decay: float32(1 - lr*a.WeightDecay)}
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
	// same bits as one loop (which is what parallel.Run does on one core).
	a.Step = step
	parallel.Run(runtime.GOMAXPROCS(0), len(chunks), func(i int) {
		c := chunks[i]
		simd.Adam(c.w, c.g, c.m, c.v, k)
	})
	return nil
}

// adamChunkSize is the number of elements of one parameter one goroutine
// updates at a time.
const adamChunkSize = 1 << 14

// adamChunk is a range of one parameter: weights, gradients and moments.
type adamChunk struct{ w, g, m, v []float32 }

// ClipGradNorm scales every gradient so that their global L2 norm is at most
// maxNorm (PyTorch's clip_grad_norm_), and returns the norm before clipping.
// A maxNorm ≤ 0 only measures. A non-finite norm is returned as is, with the
// gradients untouched, so the caller can skip the step.
//
// The squares are summed in float64 over fixed ranges of clipChunkSize
// elements of each gradient (four running sums in each, for speed), the
// ranges on every core, and the ranges' sums are added in order: the norm
// has the same bits whatever the number of cores.
func ClipGradNorm(names []string, grads map[string][]float32, maxNorm float64) float64 {
	var chunks [][]float32
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		if seen[name] {
			continue // a name listed twice is one gradient, counted and scaled once
		}
		seen[name] = true
		g := grads[name]
		for lo := 0; lo < len(g); lo += clipChunkSize {
			chunks = append(chunks, g[lo:min(lo+clipChunkSize, len(g))])
		}
	}
	sums := make([]float64, len(chunks))
	workers := runtime.GOMAXPROCS(0)
	parallel.Run(workers, len(chunks), func(i int) { sums[i] = sumSquares(chunks[i]) })
	var sum float64
	for _, s := range sums {
		sum += s
	}
	norm := math.Sqrt(sum)
	if maxNorm <= 0 || norm <= maxNorm || math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	scale := float32(maxNorm / (norm + 1e-6))
	parallel.Run(workers, len(chunks), func(i int) {
		g := chunks[i]
		for j := range g {
			g[j] *= scale
		}
	})
	return norm
}

// clipChunkSize is the length of the ranges ClipGradNorm sums on their own.
const clipChunkSize = 1 << 14

// sumSquares returns Σ g[i]² in float64, with four running sums (of the
// elements ≡ 0, 1, 2, 3 mod 4) added pairwise at the end.
func sumSquares(g []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(g); i += 4 {
		a, b, c, d := float64(g[i]), float64(g[i+1]), float64(g[i+2]), float64(g[i+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for ; i < len(g); i++ {
		a := float64(g[i])
		s0 += a * a
	}
	return (s0 + s1) + (s2 + s3)
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
