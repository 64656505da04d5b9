package model

import (
	"fmt"
	"slices"

	"causeway/contract"
)

// RunDataSet runs Model F on float64 arrays samples and intervened [B,R,N],
// qmask [B,Q,N] and qvalue [B,Q] and returns adj_logits [B,N,N] and effect
// [B,Q,N]. A misuse of the Reference while rendering is returned as a
// *BuildError.
func (r *Reference) RunDataSet(samples, intervened, qmask, qvalue *Array) (adjLogits, effect *Array, err error) {
	defer RecoverBuild(&err)
	if r.cfg.Variant != VariantF {
		return nil, nil, fmt.Errorf("reference: Model %s does not take a data set", r.cfg.Variant)
	}
	if len(samples.Shape) != 3 || len(qmask.Shape) != 3 {
		return nil, nil, fmt.Errorf("reference: samples %v and query_mask %v: want [B,R,N] and [B,Q,N]", samples.Shape, qmask.Shape)
	}
	d := contract.DataSet{B: samples.Shape[0], R: samples.Shape[1], N: samples.Shape[2], Q: qmask.Shape[1],
		Samples: Float32s(samples.Data), Intervened: Float32s(intervened.Data), QueryMask: Float32s(qmask.Data), QueryValue: Float32s(qvalue.Data)}
	if err := d.Check(r.cfg.MaxNodes); err != nil {
		return nil, nil, fmt.Errorf("reference: %w", err)
	}
	r.stats = nil
	adjLogits, effect = ForwardDataSet[*Array](r, r.cfg, samples, intervened, qmask, qvalue)
	return adjLogits, effect, nil
}

// PredictDataSet runs Model F on one batch of the data-set contract with the
// plain-Go reference backend.
func PredictDataSet(c Config, p Params, d *contract.DataSet) (adjLogits, effect []float32, err error) {
	r, err := NewReference(c, p)
	if err != nil {
		return nil, nil, err
	}
	a, e, err := r.RunDataSet(ArrayFrom(d.Samples, d.B, d.R, d.N), ArrayFrom(d.Intervened, d.B, d.R, d.N),
		ArrayFrom(d.QueryMask, d.B, d.Q, d.N), ArrayFrom(d.QueryValue, d.B, d.Q))
	if err != nil {
		return nil, nil, err
	}
	return a.Float32(), e.Float32(), nil
}

// Float32s returns a float32 copy of v.
func Float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// Float64s returns a float64 copy of v.
func Float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

// dataStats returns (and caches) the statistics of every batch element.
func (r *Reference) dataStats(samples, intervened *Array) []*DataStats {
	if r.stats != nil {
		return r.stats
	}
	b, rows, n := samples.Shape[0], samples.Shape[1], samples.Shape[2]
	for bi := range b {
		lo, hi := bi*rows*n, (bi+1)*rows*n
		r.stats = append(r.stats, DataSetStats(r.cfg, samples.Data[lo:hi], intervened.Data[lo:hi], rows, n))
	}
	return r.stats
}

// PairFeatures implements Builder.
func (r *Reference) PairFeatures(samples, intervened *Array) *Array {
	st := r.dataStats(samples, intervened)
	n := samples.Shape[2]
	p := PairFeatureCount(r.cfg)
	out := NewArray(len(st)*n, n, p)
	for bi, s := range st {
		copy(out.Data[bi*n*n*p:], s.PairFeatures())
	}
	return out
}

// queryNode returns the variable of query row m (one-hot; its argmax).
func queryNode(m []float64) int {
	k := 0
	for i, v := range m {
		if v > m[k] {
			k = i
		}
	}
	return k
}

// QueryFeatures implements Builder.
func (r *Reference) QueryFeatures(samples, intervened, qmask, qvalue *Array) *Array {
	st := r.dataStats(samples, intervened)
	q, n := qmask.Shape[1], qmask.Shape[2]
	out := NewArray(len(st)*q, n, QueryFeatureCount)
	for bi, s := range st {
		for qi := range q {
			row := bi*q + qi
			k := queryNode(qmask.Data[row*n : (row+1)*n])
			copy(out.Data[row*n*QueryFeatureCount:], s.QueryFeatures(k, qvalue.Data[row]))
		}
	}
	return out
}

// SwapPairs implements Builder.
func (r *Reference) SwapPairs(x *Array) *Array {
	n, k := x.Shape[1], x.Shape[2]
	b := x.Shape[0] / n
	out := NewArray(x.Shape...)
	for bi := range b {
		for i := range n {
			for j := range n {
				copy(out.Data[((bi*n+i)*n+j)*k:][:k], x.Data[((bi*n+j)*n+i)*k:][:k])
			}
		}
	}
	return out
}

// PairProduct implements Builder.
func (r *Reference) PairProduct(a, x *Array) *Array {
	if len(a.Shape) != 3 || !slices.Equal(a.Shape, x.Shape) || x.Shape[0]%x.Shape[1] != 0 {
		Failf("PairProduct of %v and %v: want two pair tensors [B·N, N, K] of one shape", a.Shape, x.Shape)
	}
	n, k := x.Shape[1], x.Shape[2]
	b := x.Shape[0] / n
	out := NewArray(x.Shape...)
	for bi := range b {
		for i := range n {
			for j := range n {
				o := out.Data[((bi*n+i)*n+j)*k:][:k]
				for m := range n {
					av := a.Data[((bi*n+i)*n+m)*k:][:k]
					xv := x.Data[((bi*n+m)*n+j)*k:][:k]
					for c := range k {
						o[c] += av[c] * xv[c]
					}
				}
				for c := range o {
					o[c] /= float64(n)
				}
			}
		}
	}
	return out
}

// EdgeLogits implements Builder.
func (r *Reference) EdgeLogits(x *Array) *Array {
	n := x.Shape[1]
	b := x.Shape[0] / n
	out := NewArray(b, n, n)
	copy(out.Data, x.Data)
	for bi := range b {
		for i := range n {
			out.Data[(bi*n+i)*n+i] = contract.DiagLogit
		}
	}
	return out
}

// QueryRows implements Builder.
func (r *Reference) QueryRows(x, qmask *Array) *Array {
	n, k := x.Shape[1], x.Shape[2]
	b, q := qmask.Shape[0], qmask.Shape[1]
	out := NewArray(b*q, n, k)
	for bi := range b {
		for qi := range q {
			o := out.Data[(bi*q+qi)*n*k : (bi*q+qi+1)*n*k]
			for i := range n {
				m := qmask.Data[(bi*q+qi)*n+i]
				if m == 0 {
					continue
				}
				src := x.Data[(bi*n+i)*n*k : (bi*n+i+1)*n*k]
				for e := range o {
					o[e] += m * src[e]
				}
			}
		}
	}
	return out
}

// Effect implements Builder.
func (r *Reference) Effect(pred, samples, intervened, qmask, qvalue *Array) *Array {
	st := r.dataStats(samples, intervened)
	q, n := qmask.Shape[1], qmask.Shape[2]
	out := NewArray(len(st), q, n)
	for bi, s := range st {
		for qi := range q {
			row := bi*q + qi
			k := queryNode(qmask.Data[row*n : (row+1)*n])
			w := EffectOutputs(r.cfg)
			copy(out.Data[row*n:], s.Effect(pred.Data[row*n*w:(row+1)*n*w], k, qvalue.Data[row]))
		}
	}
	return out
}
