package scm

import (
	"math"
	"math/rand/v2"
)

// Standard normal variates by Marsaglia and Tsang's ziggurat (128 layers),
// drawing from a concrete *rand.PCG so the hot loop makes no interface calls.
// Like math/rand/v2's NormFloat64 it takes the layer and the value from
// independent bits of one 64-bit draw; the tables are float64.

const (
	zigR = 3.442619855899      // start of the tail
	zigV = 9.91256303526217e-3 // area of each layer
	zigM = 1 << 31             // scale of the int32 draw
	zigL = 128                 // layers
	zigU = 1.0 / (1 << 53)     // 2^−53, for uniform float64s
)

// zigTables holds the ziggurat's acceptance thresholds k, widths w and
// densities f, computed once; they are never written after initialisation.
type zigTables struct {
	k [zigL]uint32
	w [zigL]float64
	f [zigL]float64
}

var zig = newZigTables()

func newZigTables() *zigTables {
	t := new(zigTables)
	dn, tn := zigR, zigR
	q := zigV / math.Exp(-0.5*dn*dn)
	t.k[0] = uint32(dn / q * zigM)
	t.k[1] = 0
	t.w[0] = q / zigM
	t.w[zigL-1] = dn / zigM
	t.f[0] = 1
	t.f[zigL-1] = math.Exp(-0.5 * dn * dn)
	for i := zigL - 2; i >= 1; i-- {
		dn = math.Sqrt(-2 * math.Log(zigV/dn+math.Exp(-0.5*dn*dn)))
		t.k[i+1] = uint32(dn / tn * zigM)
		tn = dn
		t.f[i] = math.Exp(-0.5 * dn * dn)
		t.w[i] = dn / zigM
	}
	return t
}

// uniform returns a float64 uniform in [0, 1).
func uniform(p *rand.PCG) float64 { return float64(p.Uint64()>>11) * zigU }

// normal returns a standard normal variate.
func normal(p *rand.PCG) float64 {
	return normalFrom(p, p.Uint64())
}

// normalFrom returns the standard normal variate that starts with the draw
// u. Hot loops inline its fast path (see Graph.noise) and call it only when
// that rejects.
func normalFrom(p *rand.PCG, u uint64) float64 {
	for {
		j := int32(u)
		i := u >> 32 & (zigL - 1)
		x := float64(j) * zig.w[i]
		if uint32(max(j, -j)) < zig.k[i] {
			return x // more than 98% of draws
		}
		if i == 0 {
			// The tail beyond zigR, by Marsaglia's exponential method.
			for {
				x = -math.Log(1-uniform(p)) / zigR
				y := -math.Log(1 - uniform(p))
				if y+y >= x*x {
					break
				}
			}
			if j > 0 {
				return zigR + x
			}
			return -zigR - x
		}
		if zig.f[i]+uniform(p)*(zig.f[i-1]-zig.f[i]) < math.Exp(-0.5*x*x) {
			return x
		}
		u = p.Uint64()
	}
}
