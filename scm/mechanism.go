package scm

import (
	"fmt"
	"math"

	"causeway/internal/simd"
)

// Mechanism is the function an edge applies to its parent's value; a node is
// the sum of its edges' terms plus its own noise, clipped to [−Clip, Clip].
type Mechanism uint8

// The ten mechanisms of the notebook, drawn uniformly per edge.
const (
	Linear    Mechanism = iota // 2x
	NegLinear                  // −2x
	Sin                        // sin x
	Cos                        // cos x
	Tanh                       // tanh x (the notebook's "tan")
	Log                        // log(|x| + 1e−5)
	Exp                        // exp(clip(x, −5, 5))
	Sqrt                       // √|x|
	Quadratic                  // clip(x, −5, 5)²
	Cubic                      // clip(x, −3, 3)³
	numMechanisms
)

// Mechanisms returns the ten mechanisms in order.
func Mechanisms() []Mechanism {
	return []Mechanism{Linear, NegLinear, Sin, Cos, Tanh, Log, Exp, Sqrt, Quadratic, Cubic}
}

// mechanismNames are the notebook's names of the mechanisms.
var mechanismNames = [numMechanisms]string{
	"linear", "negative linear", "sin", "cos", "tan", "log", "exp", "sqrt", "quadratic", "cubic",
}

// String returns the notebook's name of m ("linear", "negative linear", "sin",
// "cos", "tan", "log", "exp", "sqrt", "quadratic", "cubic").
func (m Mechanism) String() string {
	if m < numMechanisms {
		return mechanismNames[m]
	}
	return fmt.Sprintf("Mechanism(%d)", uint8(m))
}

// ParseMechanism returns the mechanism whose String is name ("tanh" is
// accepted for "tan").
func ParseMechanism(name string) (Mechanism, error) {
	if name == "tanh" {
		return Tanh, nil
	}
	for m, n := range mechanismNames {
		if n == name {
			return Mechanism(m), nil
		}
	}
	return 0, fmt.Errorf("unknown mechanism %q", name)
}

// MarshalText encodes m as its name, so JSON shows "sin" rather than 2.
func (m Mechanism) MarshalText() ([]byte, error) {
	if m >= numMechanisms {
		return nil, fmt.Errorf("invalid mechanism %d", uint8(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText decodes a name written by MarshalText.
func (m *Mechanism) UnmarshalText(b []byte) error {
	v, err := ParseMechanism(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// Apply returns the mechanism's term for the parent value x. It computes
// exactly what the sampler adds: exp, log and tanh are this package's fast
// versions of math's (within 2 ulp).
func (m Mechanism) Apply(x float64) float64 {
	switch m {
	case Linear:
		return 2 * x
	case NegLinear:
		return -2 * x
	case Sin:
		return math.Sin(x)
	case Cos:
		return math.Cos(x)
	case Tanh:
		return tanhFast(x)
	case Log:
		return logFast(math.Abs(x) + 1e-5)
	case Exp:
		return expFast(clamp(x, -5, 5))
	case Sqrt:
		return math.Sqrt(math.Abs(x))
	case Quadratic:
		c := clamp(x, -5, 5)
		return c * c
	case Cubic:
		c := clamp(x, -3, 3)
		return c * c * c
	}
	panic(fmt.Sprintf("scm: invalid mechanism %d", uint8(m)))
}

// addTerm adds w·m(src[i]) to dst[i] for every i; it is Apply specialised
// per mechanism, so the switch runs once per edge instead of once per value.
// The transcendental mechanisms run four values at a time where the CPU
// has AVX2 (package simd), with the scalar forms' bits.
func addTerm(dst, src []float64, m Mechanism, w float64) {
	src = src[:len(dst)]
	switch m {
	case Linear:
		a := 2 * w
		for i, x := range src {
			dst[i] += a * x
		}
	case NegLinear:
		a := -2 * w
		for i, x := range src {
			dst[i] += a * x
		}
	case Sin:
		for i := simd.AddSin(dst, src, w); i < len(dst); i++ {
			dst[i] += w * math.Sin(src[i])
		}
	case Cos:
		for i := simd.AddCos(dst, src, w); i < len(dst); i++ {
			dst[i] += w * math.Cos(src[i])
		}
	case Tanh:
		for i := simd.AddTanh(dst, src, w); i < len(dst); i++ {
			dst[i] += w * tanhFast(src[i])
		}
	case Log:
		for i := simd.AddLogAbs(dst, src, w); i < len(dst); i++ {
			dst[i] += w * logFast(math.Abs(src[i])+1e-5)
		}
	case Exp:
		for i := simd.AddExpClamped(dst, src, w); i < len(dst); i++ {
			dst[i] += w * expFast(clamp(src[i], -5, 5))
		}
	case Sqrt:
		for i, x := range src {
			dst[i] += w * math.Sqrt(math.Abs(x))
		}
	case Quadratic:
		for i, x := range src {
			c := clamp(x, -5, 5)
			dst[i] += w * (c * c)
		}
	case Cubic:
		for i, x := range src {
			c := clamp(x, -3, 3)
			dst[i] += w * (c * c * c)
		}
	default:
		panic(fmt.Sprintf("scm: invalid mechanism %d", uint8(m)))
	}
}

func clamp(x, lo, hi float64) float64 { return min(max(x, lo), hi) }
