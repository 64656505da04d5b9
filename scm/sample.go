package scm

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Sample draws samples rows from g, observationally when do is nil and under
// the hard intervention *do otherwise, and returns them row-major
// ([samples*N], row s at [s*N:(s+1)*N]). Noise is drawn for every node, then
// the nodes are computed in topological order; under do(X_k = v) node k is v
// (not clipped) and only its descendants see the change. The noise comes
// from a PCG stream seeded by two draws of r.
func (g *Graph) Sample(r *rand.Rand, samples int, do *Intervention) []float32 {
	if do != nil && (do.Node < 0 || do.Node >= g.N) {
		panic(fmt.Sprintf("scm: Sample: intervention on node %d of a %d-node graph", do.Node, g.N))
	}
	x := make([]float64, g.N*samples)
	g.noise(x, samples, rand.NewPCG(r.Uint64(), r.Uint64()))
	cache := make([]float64, g.slots*samples)
	if do != nil {
		g.simulate(x, samples, do.Node, do.Value, cache)
	} else {
		g.simulate(x, samples, -1, 0, cache)
	}
	out := make([]float32, g.N*samples)
	transpose(out, x, g.N, samples)
	return out
}

// noise fills x (column-major: node j's samples at x[j*s:(j+1)*s]) with
// independent noise of g's law, node by node, drawn from p.
func (g *Graph) noise(x []float64, s int, p *rand.PCG) {
	x = x[:g.N*s]
	scale := g.NoiseScale
	switch g.Noise {
	case NoiseLaplace:
		b := scale / math.Sqrt2
		for i := range x {
			// One draw gives the magnitude (high 53 bits) and the sign
			// (low bit).
			u := p.Uint64()
			e := -math.Log(1-float64(u>>11)*zigU) * b
			if u&1 == 1 {
				e = -e
			}
			x[i] = e
		}
	case NoiseUniform:
		a := 2 * math.Sqrt(3) * scale
		for i := range x {
			x[i] = (uniform(p) - 0.5) * a
		}
	default: // NoiseGaussian
		z := zig
		for i := range x {
			// normal(p), with the ziggurat's fast path inlined.
			u := p.Uint64()
			j := int32(u)
			l := u >> 32 & (zigL - 1)
			if uint32(max(j, -j)) < z.k[l] {
				x[i] = float64(j) * z.w[l] * scale
				continue
			}
			x[i] = normalFrom(p, u) * scale
		}
	}
}

// simulate turns the noise in x (column-major, s samples per node) into the
// node values, in place, in topological order. A node k ≥ 0 is set to v
// (the intervention); pass k = −1 for observational samples. cache is
// scratch space of g.slots·s values for terms shared by several children.
func (g *Graph) simulate(x []float64, s int, k int, v float64, cache []float64) {
	for _, j := range g.Order {
		col := x[j*s : (j+1)*s]
		switch ps := g.Parents[j]; {
		case j == k:
			for i := range col {
				col[i] = v
			}
			continue // its children add one constant term (below)
		case len(ps) > 0: // a root keeps its noise, unclipped, as in the notebook
			ms, ws := g.Mechanisms[j], g.Weights[j]
			for e, p := range ps {
				switch {
				case p == k:
					// The intervened parent is constant: one term for all rows.
					t := [1]float64{}
					addTerm(t[:], []float64{v}, ms[e], ws[e])
					for i := range col {
						col[i] += t[0]
					}
				case g.share != nil && g.share[j][e] >= 0:
					c := cache[int(g.share[j][e])*s:][:len(col)]
					for i, t := range c {
						col[i] += ws[e] * t
					}
				default:
					addTerm(col, x[p*s:(p+1)*s], ms[e], ws[e])
				}
			}
			for i, y := range col {
				col[i] = min(max(y, -Clip), Clip)
			}
		}
		// Node j is final: compute the terms its children share.
		for _, f := range g.fills[j] {
			c := cache[f.slot*s : (f.slot+1)*s]
			clear(c)
			addTerm(c, col, f.m, 1)
		}
	}
}

// expensive reports whether m calls a transcendental function, so that
// computing it once for several children pays.
func (m Mechanism) expensive() bool {
	switch m {
	case Sin, Cos, Tanh, Log, Exp:
		return true
	}
	return false
}

// fill asks simulate to compute m(x_p) into cache slot once node p is final.
type fill struct {
	slot int
	m    Mechanism
}

// planSharing gives a cache slot to each (parent, expensive mechanism) pair
// used by more than one edge: fills[p] lists the slots of parent p, and
// share[j][e] is the slot edge e of node j reads, or −1 to compute the edge
// directly.
func (g *Graph) planSharing() {
	const m = int(numMechanisms)
	// uses[p*m+mech] counts the edges of each pair, then holds its slot.
	uses := make([]int32, g.N*m)
	for j, ps := range g.Parents {
		for e, p := range ps {
			if mech := g.Mechanisms[j][e]; mech.expensive() {
				uses[p*m+int(mech)]++
			}
		}
	}
	shared := 0
	for _, c := range uses {
		if c >= 2 {
			shared++
		}
	}
	fills := make([]fill, 0, shared) // one backing array for every g.fills[p]
	g.fills = make([][]fill, g.N)
	for p := range g.N {
		start := len(fills)
		for mech := range m {
			i := p*m + mech
			if uses[i] < 2 {
				uses[i] = -1
				continue
			}
			uses[i] = int32(len(fills))
			fills = append(fills, fill{len(fills), Mechanism(mech)})
		}
		g.fills[p] = fills[start:len(fills):len(fills)]
	}
	g.slots = len(fills)
	g.share = make([][]int32, g.N)
	flat := make([]int32, g.NumEdges())
	for j, ps := range g.Parents {
		sh := flat[:len(ps):len(ps)]
		flat = flat[len(ps):]
		for e, p := range ps {
			sh[e] = uses[p*m+int(g.Mechanisms[j][e])]
		}
		g.share[j] = sh
	}
}

// transpose writes the column-major x (n columns of s) into dst row-major.
func transpose(dst []float32, x []float64, n, s int) {
	dst = dst[:n*s]
	for j := range n {
		col := x[j*s : (j+1)*s]
		for i, y := range col {
			dst[i*n+j] = float32(y)
		}
	}
}

// standardizer is the affine map of Config.Standardize for one data set.
type standardizer struct{ mean, scale []float64 }

// fit sets the per-column mean and scale (the unbiased sample std, or 1 for a
// near-constant column) of x (column-major, s samples per column).
func (z *standardizer) fit(x []float64, n, s int) {
	z.mean = resize(z.mean, n)
	z.scale = resize(z.scale, n)
	for j := range n {
		m, sd := meanStd(x[j*s : (j+1)*s])
		if sd < ConstantStd {
			sd = 1
		}
		z.mean[j], z.scale[j] = m, sd
	}
}

// apply standardises the column-major x in place.
func (z *standardizer) apply(x []float64, n, s int) {
	for j := range n {
		m, inv := z.mean[j], 1/z.scale[j]
		col := x[j*s : (j+1)*s]
		for i, y := range col {
			col[i] = (y - m) * inv
		}
	}
}

// meanStd returns the mean and the unbiased standard deviation of x.
func meanStd(x []float64) (mean, std float64) {
	if len(x) == 0 {
		return 0, 0
	}
	for _, y := range x {
		mean += y
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	ss := 0.0
	for _, y := range x {
		d := y - mean
		ss += d * d
	}
	return mean, math.Sqrt(ss / float64(len(x)-1))
}

func resize[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}
