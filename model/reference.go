package model

import (
	"fmt"
	"math"
	"slices"

	"causeway/contract"
)

// Array is a dense row-major float64 array: the tensor handle of the
// reference backend.
type Array struct {
	Shape []int
	Data  []float64
}

// NewArray returns a zero-filled array of the given shape.
func NewArray(shape ...int) *Array {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Array{Shape: append([]int(nil), shape...), Data: make([]float64, n)}
}

// ArrayFrom returns an array of the given shape holding a float64 copy of v.
// It panics if len(v) does not match the shape.
func ArrayFrom(v []float32, shape ...int) *Array {
	a := NewArray(shape...)
	if len(v) != len(a.Data) {
		panic(fmt.Sprintf("model.ArrayFrom: %d values for shape %v", len(v), shape))
	}
	for i, x := range v {
		a.Data[i] = float64(x)
	}
	return a
}

// Float32 returns a float32 copy of a's data.
func (a *Array) Float32() []float32 { return Float32s(a.Data) }

// Reference is the plain-Go float64 rendering of the architecture: a
// straightforward loop implementation of Builder[*Array] for inference
// (Dropout is the identity). It is the specification that the training and
// ONNX renderings are tested against; it favours obviousness over speed.
type Reference struct {
	cfg    Config
	params map[string]*Array
	stats  []*DataStats // Model F: the current batch's statistics
}

var _ Builder[*Array] = (*Reference)(nil)

// NewReference validates c and p and returns the reference backend for them.
func NewReference(c Config, p Params) (*Reference, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("reference: config: %w", err)
	}
	if err := p.Check(c); err != nil {
		return nil, fmt.Errorf("reference: parameters: %w", err)
	}
	r := &Reference{cfg: c, params: make(map[string]*Array, len(p))}
	for name, t := range p {
		r.params[name] = ArrayFrom(t.Data, t.Shape...)
	}
	return r, nil
}

// Predict runs the model on one batch with the plain-Go reference backend
// (float64 inside). base and intv are [B,S,N] row-major, target and mask
// [B,N]; it returns delta [B,N] and adj_logits [B,N,N].
func Predict(c Config, p Params, base, intv, target, mask []float32, b, s, n int) (delta, adjLogits []float32, err error) {
	r, err := NewReference(c, p)
	if err != nil {
		return nil, nil, err
	}
	in := contract.Pairs{B: b, S: s, N: n, Base: base, Int: intv, Target: target, Mask: mask}
	if err := in.Check(c.MaxNodes); err != nil {
		return nil, nil, fmt.Errorf("reference: %w", err)
	}
	d, a, err := r.Run(ArrayFrom(base, b, s, n), ArrayFrom(intv, b, s, n), ArrayFrom(target, b, n), ArrayFrom(mask, b, n))
	if err != nil {
		return nil, nil, err
	}
	return d.Float32(), a.Float32(), nil
}

// Run runs the forward pass on float64 arrays base, intv [B,S,N] and
// target, mask [B,N] and returns delta [B,N] and adj_logits [B,N,N]. A
// misuse of the Reference while rendering is returned as a *BuildError.
func (r *Reference) Run(base, intv, target, mask *Array) (delta, adjLogits *Array, err error) {
	defer RecoverBuild(&err)
	if len(base.Shape) != 3 {
		return nil, nil, fmt.Errorf("reference: %s has shape %v, want [B,S,N]", contract.BaseSamples, base.Shape)
	}
	b, s, n := base.Shape[0], base.Shape[1], base.Shape[2]
	for _, x := range []struct {
		name  string
		a     *Array
		shape []int
	}{
		{contract.BaseSamples, base, []int{b, s, n}},
		{contract.IntSamples, intv, []int{b, s, n}},
		{contract.TargetRow, target, []int{b, n}},
		{contract.IntMask, mask, []int{b, n}},
	} {
		if !slices.Equal(x.a.Shape, x.shape) || len(x.a.Data) != refSize(x.shape) {
			return nil, nil, fmt.Errorf("reference: %s has shape %v (%d values), want %v", x.name, x.a.Shape, len(x.a.Data), x.shape)
		}
	}
	in := contract.Pairs{B: b, S: s, N: n, Base: Float32s(base.Data), Int: Float32s(intv.Data), Target: Float32s(target.Data), Mask: Float32s(mask.Data)}
	if err := in.Check(r.cfg.MaxNodes); err != nil {
		return nil, nil, fmt.Errorf("reference: %w", err)
	}
	delta, adjLogits = Forward[*Array](r, r.cfg, base, intv, target, mask)
	return delta, adjLogits, nil
}

func refSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func (r *Reference) param(name string) *Array {
	p, ok := r.params[name]
	if !ok {
		Failf("reference: parameter %s missing", name)
	}
	return p
}

func refClamp(x, lo, hi float64) float64 {
	return math.Min(math.Max(x, lo), hi)
}

// Features implements Builder.
func (r *Reference) Features(base, intv, target, mask *Array) *Array {
	b, s, n := base.Shape[0], base.Shape[1], base.Shape[2]
	out := NewArray(b, n, 6)
	stats := func(a *Array, bi, j int) (mean, std float64) {
		for k := 0; k < s; k++ {
			mean += a.Data[(bi*s+k)*n+j]
		}
		mean /= float64(s)
		var ss float64
		for k := 0; k < s; k++ {
			d := a.Data[(bi*s+k)*n+j] - mean
			ss += d * d
		}
		return mean, math.Sqrt(ss/float64(s-1)) + StdEps
	}
	c := r.cfg.FeatureClip
	for bi := 0; bi < b; bi++ {
		for j := 0; j < n; j++ {
			bMean, bStd := stats(base, bi, j)
			iMean, iStd := stats(intv, bi, j)
			den := math.Max(bStd, r.cfg.StdFloor)
			f := []float64{
				bMean,
				bStd,
				(iMean - bMean) / den,
				iStd / den,
				(target.Data[bi*n+j] - bMean) / den,
				mask.Data[bi*n+j],
			}
			for k, v := range f {
				out.Data[(bi*n+j)*6+k] = refClamp(v, -c, c)
			}
		}
	}
	return out
}

// Linear implements Builder.
func (r *Reference) Linear(x *Array, name string) *Array {
	w, bias := r.param(name+"/weight"), r.param(name+"/bias")
	in, outDim := w.Shape[0], w.Shape[1]
	if x.Shape[len(x.Shape)-1] != in {
		Failf("reference: linear %s: input %v, weight %v", name, x.Shape, w.Shape)
	}
	rows := len(x.Data) / in
	shape := append(append([]int(nil), x.Shape[:len(x.Shape)-1]...), outDim)
	out := NewArray(shape...)
	for i := 0; i < rows; i++ {
		o := out.Data[i*outDim : (i+1)*outDim]
		copy(o, bias.Data)
		for k := 0; k < in; k++ {
			xv := x.Data[i*in+k]
			wr := w.Data[k*outDim : (k+1)*outDim]
			for j := range o {
				o[j] += xv * wr[j]
			}
		}
	}
	return out
}

// AddPositions implements Builder.
func (r *Reference) AddPositions(x *Array, name string) *Array {
	t := r.param(name)
	b, n, d := x.Shape[0], x.Shape[1], x.Shape[2]
	out := NewArray(x.Shape...)
	for bi := 0; bi < b; bi++ {
		for j := 0; j < n; j++ {
			for k := 0; k < d; k++ {
				out.Data[(bi*n+j)*d+k] = x.Data[(bi*n+j)*d+k] + t.Data[j*d+k]
			}
		}
	}
	return out
}

// Activate implements Builder.
func (r *Reference) Activate(x *Array, act Activation) *Array {
	out := NewArray(x.Shape...)
	for i, v := range x.Data {
		switch act {
		case GELU:
			out.Data[i] = 0.5 * v * (1 + math.Erf(v/math.Sqrt2))
		case ReLU:
			out.Data[i] = math.Max(v, 0)
		default:
			Failf("reference: unknown activation %q", act)
		}
	}
	return out
}

// LayerNorm implements Builder.
func (r *Reference) LayerNorm(x *Array, name string) *Array {
	w, bias := r.param(name+"/weight"), r.param(name+"/bias")
	d := x.Shape[len(x.Shape)-1]
	out := NewArray(x.Shape...)
	for i := 0; i < len(x.Data)/d; i++ {
		row := x.Data[i*d : (i+1)*d]
		var mean float64
		for _, v := range row {
			mean += v
		}
		mean /= float64(d)
		var variance float64
		for _, v := range row {
			variance += (v - mean) * (v - mean)
		}
		variance /= float64(d)
		inv := 1 / math.Sqrt(variance+LayerNormEps)
		for k, v := range row {
			out.Data[i*d+k] = (v-mean)*inv*w.Data[k] + bias.Data[k]
		}
	}
	return out
}

// Attention implements Builder.
func (r *Reference) Attention(x *Array, name string, heads int, bias *Array, hasBias bool) *Array {
	b, n, d := x.Shape[0], x.Shape[1], x.Shape[2]
	q := r.Linear(x, name+"/q_proj")
	k := r.Linear(x, name+"/k_proj")
	v := r.Linear(x, name+"/v_proj")
	dh := d / heads
	scale := 1 / math.Sqrt(float64(dh))
	ctx := NewArray(b, n, d)
	scores := make([]float64, n)
	for bi := 0; bi < b; bi++ {
		for h := 0; h < heads; h++ {
			for i := 0; i < n; i++ {
				qi := q.Data[(bi*n+i)*d+h*dh : (bi*n+i)*d+(h+1)*dh]
				maxScore := math.Inf(-1)
				for j := 0; j < n; j++ {
					kj := k.Data[(bi*n+j)*d+h*dh : (bi*n+j)*d+(h+1)*dh]
					var dot float64
					for e := range qi {
						dot += qi[e] * kj[e]
					}
					scores[j] = dot * scale
					if hasBias {
						scores[j] += bias.Data[(bi*n+i)*n+j]
					}
					maxScore = math.Max(maxScore, scores[j])
				}
				var sum float64
				for j := range scores {
					scores[j] = math.Exp(scores[j] - maxScore)
					sum += scores[j]
				}
				o := ctx.Data[(bi*n+i)*d+h*dh : (bi*n+i)*d+(h+1)*dh]
				for j := 0; j < n; j++ {
					wgt := scores[j] / sum
					vj := v.Data[(bi*n+j)*d+h*dh : (bi*n+j)*d+(h+1)*dh]
					for e := range o {
						o[e] += wgt * vj[e]
					}
				}
			}
		}
	}
	return r.Linear(ctx, name+"/out_proj")
}

// Dropout implements Builder: the identity (the reference is inference only).
func (r *Reference) Dropout(x *Array, p float64) *Array { return x }

// Add implements Builder.
func (r *Reference) Add(a, b *Array) *Array {
	if !slices.Equal(a.Shape, b.Shape) {
		Failf("reference: add: shapes %v and %v", a.Shape, b.Shape)
	}
	out := NewArray(a.Shape...)
	for i := range out.Data {
		out.Data[i] = a.Data[i] + b.Data[i]
	}
	return out
}

// Bilinear implements Builder.
func (r *Reference) Bilinear(p, c *Array) *Array {
	b, n, d := p.Shape[0], p.Shape[1], p.Shape[2]
	out := NewArray(b, n, n)
	for bi := 0; bi < b; bi++ {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if i == j {
					out.Data[(bi*n+i)*n+j] = contract.DiagLogit
					continue
				}
				var dot float64
				for k := 0; k < d; k++ {
					dot += p.Data[(bi*n+i)*d+k] * c.Data[(bi*n+j)*d+k]
				}
				out.Data[(bi*n+i)*n+j] = dot
			}
		}
	}
	return out
}

func refSigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// StructureBias implements Builder.
func (r *Reference) StructureBias(logits *Array) *Array {
	b, n := logits.Shape[0], logits.Shape[1]
	out := NewArray(b, n, n)
	for bi := 0; bi < b; bi++ {
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if i != j {
					out.Data[(bi*n+i)*n+j] = AttentionBiasScale * (1 - refSigmoid(logits.Data[(bi*n+j)*n+i]))
				}
			}
		}
	}
	return out
}

// Squeeze implements Builder.
func (r *Reference) Squeeze(x *Array) *Array {
	if x.Shape[len(x.Shape)-1] != 1 {
		Failf("reference: squeeze: shape %v", x.Shape)
	}
	return &Array{Shape: append([]int(nil), x.Shape[:len(x.Shape)-1]...), Data: x.Data}
}

// NodeExperts implements Builder.
func (r *Reference) NodeExperts(x *Array, name string) *Array {
	w1, b1 := r.param(name+"/linear1/weight"), r.param(name+"/linear1/bias")
	w2, b2 := r.param(name+"/linear2/weight"), r.param(name+"/linear2/bias")
	b, n, d := x.Shape[0], x.Shape[1], x.Shape[2]
	e, h := w1.Shape[0], w1.Shape[2]
	out := NewArray(b, n)
	hid := make([]float64, h)
	for bi := 0; bi < b; bi++ {
		for j := 0; j < n; j++ {
			ex := 0
			if e > 1 {
				ex = j
			}
			for m := 0; m < h; m++ {
				acc := b1.Data[ex*h+m]
				for k := 0; k < d; k++ {
					acc += x.Data[(bi*n+j)*d+k] * w1.Data[(ex*d+k)*h+m]
				}
				hid[m] = 0.5 * acc * (1 + math.Erf(acc/math.Sqrt2))
			}
			acc := b2.Data[ex]
			for m := 0; m < h; m++ {
				acc += hid[m] * w2.Data[ex*h+m]
			}
			out.Data[bi*n+j] = acc
		}
	}
	return out
}

// MaskedSum implements Builder.
func (r *Reference) MaskedSum(x, mask *Array) *Array {
	b, n, k := x.Shape[0], x.Shape[1], x.Shape[2]
	out := NewArray(b, k)
	for bi := 0; bi < b; bi++ {
		for j := 0; j < n; j++ {
			m := mask.Data[bi*n+j]
			for c := 0; c < k; c++ {
				out.Data[bi*k+c] += m * x.Data[(bi*n+j)*k+c]
			}
		}
	}
	return out
}

// MaskedRows implements Builder.
func (r *Reference) MaskedRows(mask *Array, name string) *Array {
	t := r.param(name)
	b, n, k := mask.Shape[0], mask.Shape[1], t.Shape[1]
	out := NewArray(b, k)
	for bi := 0; bi < b; bi++ {
		for j := 0; j < n; j++ {
			m := mask.Data[bi*n+j]
			for c := 0; c < k; c++ {
				out.Data[bi*k+c] += m * t.Data[j*k+c]
			}
		}
	}
	return out
}

// RowDot implements Builder.
func (r *Reference) RowDot(x, w *Array) *Array {
	b, n, d := x.Shape[0], x.Shape[1], x.Shape[2]
	out := NewArray(b, n)
	for bi := 0; bi < b; bi++ {
		for j := 0; j < n; j++ {
			var acc float64
			for k := 0; k < d; k++ {
				acc += x.Data[(bi*n+j)*d+k] * w.Data[bi*d+k]
			}
			out.Data[bi*n+j] = acc
		}
	}
	return out
}

// MeanShift implements Builder.
func (r *Reference) MeanShift(intv, target *Array) *Array {
	b, s, n := intv.Shape[0], intv.Shape[1], intv.Shape[2]
	out := NewArray(b, n)
	for bi := 0; bi < b; bi++ {
		for j := 0; j < n; j++ {
			var m float64
			for k := 0; k < s; k++ {
				m += intv.Data[(bi*s+k)*n+j]
			}
			out.Data[bi*n+j] = m/float64(s) - target.Data[bi*n+j]
		}
	}
	return out
}

// PairLogits implements Builder.
func (r *Reference) PairLogits(base, intv *Array, name string) *Array {
	b, s, n := base.Shape[0], base.Shape[1], base.Shape[2]
	w := r.param(name + "/weight")
	out := NewArray(b, n, n)
	for k, x := range []*Array{base, intv} {
		for bi := 0; bi < b; bi++ {
			corr := refCorrelation(x.Data[bi*s*n:(bi+1)*s*n], s, n, r.cfg.StdFloor)
			for i := 0; i < n; i++ {
				for j := 0; j < n; j++ {
					if i != j {
						out.Data[(bi*n+i)*n+j] += w.Data[k] * math.Abs(corr[i*n+j])
					}
				}
			}
		}
	}
	return out
}

// refCorrelation returns the n×n sample correlation of the columns of the
// row-major s×n matrix x, with each std clamped below at floor.
func refCorrelation(x []float64, s, n int, floor float64) []float64 {
	mean, den := make([]float64, n), make([]float64, n)
	for j := 0; j < n; j++ {
		for k := 0; k < s; k++ {
			mean[j] += x[k*n+j]
		}
		mean[j] /= float64(s)
		var ss float64
		for k := 0; k < s; k++ {
			d := x[k*n+j] - mean[j]
			ss += d * d
		}
		den[j] = math.Max(math.Sqrt(ss/float64(s-1)), floor)
	}
	out := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			var c float64
			for k := 0; k < s; k++ {
				c += (x[k*n+i] - mean[i]) * (x[k*n+j] - mean[j])
			}
			out[i*n+j] = c / float64(s-1) / (den[i] * den[j])
		}
	}
	return out
}
