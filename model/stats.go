package model

import "math"

// Model F's data-set statistics. They are data only (no parameter, no
// gradient): every rendering computes them from samples and intervened (and
// the queries), and this file is their specification, in float64.

// Statistic sizes and constants of Model F.
const (
	// PairFeatureCount is the number of statistics per ordered pair (i, j).
	PairFeatureCount = 19
	// QueryFeatureCount is the number of statistics per (query, variable).
	QueryFeatureCount = 12
	// PartialRidge is added to the diagonal of the observational
	// correlation matrix before it is inverted for partial correlations.
	PartialRidge = 0.1
	// NewtonSchulzSteps is the number of Newton–Schulz iterations
	// X ← X(2I − AX), from X = I/tr(A), that invert it (enough for
	// tr(A)/PartialRidge up to ~1e4 in float32).
	NewtonSchulzSteps = 18
	// MatchTolerance is the relative tolerance under which an interventional
	// row's value counts as the queried value: |x − v| < MatchTolerance·(1+|v|).
	MatchTolerance = 1e-3
)

// DataStats are one data set's statistics (N variables, R rows), computed by
// DataSetStats; the fields are row-major [N] or [N,N].
//
// Reference rows: the observational rows (no 1 in intervened) when there
// are at least two of them, otherwise every row (HasObs is then 0). With
// w_r the reference-row indicator and n_w = Σ w_r:
//
//	Mean_j  = Σ w_r x_rj / n_w
//	SD_j    = max(√(Σ w_r (x_rj − Mean_j)² / (n_w − 1)), StdFloor)
//	z_rj    = clamp((x_rj − Mean_j)/SD_j, ±FeatureClip)
//	q_rj    = clamp((z_rj² − MeanSq_j)/SDSq_j, ±FeatureClip)   (z² standardised the same way)
//	Corr    = Σ w_r z_ri z_rj / (n_w − 1)          Corr[i][j]
//	CorrQZ  = Σ w_r q_ri z_rj / (n_w − 1)          (x_i², x_j)
//	CorrQQ  = Σ w_r q_ri q_rj / (n_w − 1)
//	Partial = −P_ij / √(P_ii P_jj), P the Newton–Schulz inverse of Corr + PartialRidge·I
//	Count_i = Σ_r intervened_ri
//	Shift   = Σ_r intervened_ri z_rj / max(Count_i, 1)          (mean of z_j under do(x_i))
//	IntVar  = clamp(Σ_r intervened_ri z_rj² / max(Count_i, 1) − Shift², 0, FeatureClip)
//
// IntVar is a variance, not a standard deviation: it is a difference of two
// moments, and at a constant column (the intervened variable itself) its
// float32 rounding error of ~1e-6·Shift² would grow to ~1e-3 under a square
// root.
type DataStats struct {
	N                      int
	Mean, SD, MeanSq, SDSq []float64
	Corr, CorrQZ, CorrQQ   []float64
	Partial, Shift, IntVar []float64
	Count                  []float64
	RefRows, HasObs        float64
	z                      []float64 // [R,N]
	samples, intervened    []float64 // [R,N]
}

// DataSetStats computes the statistics of one data set: x and intervened
// are [r,n] row-major. It is the float64 specification of Model F's
// statistics (see DataStats); floor and clip are Config.StdFloor and
// Config.FeatureClip.
func DataSetStats(x, intervened []float64, r, n int, floor, clip float64) *DataStats {
	s := &DataStats{N: n, samples: x, intervened: intervened}
	w := make([]float64, r)
	var nObs float64
	for i := range r {
		sum := 0.0
		for j := range n {
			sum += intervened[i*n+j]
		}
		if sum == 0 {
			w[i] = 1
			nObs++
		}
	}
	s.HasObs = math.Min(math.Max(nObs-1, 0), 1)
	for i := range w {
		w[i] = s.HasObs*w[i] + (1 - s.HasObs)
	}
	nw := 0.0
	for _, v := range w {
		nw += v
	}
	s.RefRows = nw
	standardise := func(v []float64) (mean, sd []float64, out []float64) {
		mean, sd, out = make([]float64, n), make([]float64, n), make([]float64, r*n)
		for j := range n {
			m := 0.0
			for i := range r {
				m += w[i] * v[i*n+j]
			}
			m /= nw
			ss := 0.0
			for i := range r {
				d := v[i*n+j] - m
				ss += w[i] * d * d
			}
			sd[j] = math.Max(math.Sqrt(ss/(nw-1)), floor)
			mean[j] = m
			for i := range r {
				out[i*n+j] = refClamp((v[i*n+j]-m)/sd[j], -clip, clip)
			}
		}
		return mean, sd, out
	}
	s.Mean, s.SD, s.z = standardise(x)
	sq := make([]float64, r*n)
	for i, v := range s.z {
		sq[i] = v * v
	}
	var q []float64
	s.MeanSq, s.SDSq, q = standardise(sq)
	cross := func(a, b []float64) []float64 {
		out := make([]float64, n*n)
		for k := range r {
			if w[k] == 0 {
				continue
			}
			bk := b[k*n : (k+1)*n]
			for i, av := range a[k*n : (k+1)*n] {
				o := out[i*n : (i+1)*n]
				for j, bv := range bk {
					o[j] += av * bv
				}
			}
		}
		for i := range out {
			out[i] /= nw - 1
		}
		return out
	}
	s.Corr, s.CorrQZ, s.CorrQQ = cross(s.z, s.z), cross(q, s.z), cross(q, q)

	a := append([]float64(nil), s.Corr...)
	tr := 0.0
	for i := range n {
		a[i*n+i] += PartialRidge
		tr += a[i*n+i]
	}
	p := NewtonSchulzInverse(a, n, tr)
	s.Partial = make([]float64, n*n)
	for i := range n {
		for j := range n {
			s.Partial[i*n+j] = -p[i*n+j] / math.Sqrt(p[i*n+i]*p[j*n+j])
		}
	}

	s.Count = make([]float64, n)
	s.Shift, s.IntVar = make([]float64, n*n), make([]float64, n*n)
	m2 := make([]float64, n*n)
	for k := range r {
		zk := s.z[k*n : (k+1)*n]
		for i, v := range intervened[k*n : (k+1)*n] {
			if v == 0 {
				continue
			}
			s.Count[i] += v
			sh, sq := s.Shift[i*n:(i+1)*n], m2[i*n:(i+1)*n]
			for j, z := range zk {
				sh[j] += v * z
				sq[j] += v * z * z
			}
		}
	}
	for i := range n {
		c := math.Max(s.Count[i], 1)
		for j := range n {
			m := s.Shift[i*n+j] / c
			s.Shift[i*n+j] = m
			s.IntVar[i*n+j] = refClamp(m2[i*n+j]/c-m*m, 0, clip)
		}
	}
	return s
}

// NewtonSchulzInverse returns NewtonSchulzSteps iterations X ← X(2I − AX)
// from X = I/tr for the symmetric positive definite n×n matrix a whose
// trace is tr (it converges to a⁻¹ because every eigenvalue lies in
// (0, tr]).
func NewtonSchulzInverse(a []float64, n int, tr float64) []float64 {
	x := make([]float64, n*n)
	for i := range n {
		x[i*n+i] = 1 / tr
	}
	ax := make([]float64, n*n)
	next := make([]float64, n*n)
	for range NewtonSchulzSteps {
		matMul(ax, a, x, n)
		for i := range ax {
			ax[i] = -ax[i]
		}
		for i := range n {
			ax[i*n+i] += 2
		}
		matMul(next, x, ax, n)
		x, next = next, x
	}
	return x
}

func matMul(dst, a, b []float64, n int) {
	for i := range n {
		for j := range n {
			sum := 0.0
			for k := range n {
				sum += a[i*n+k] * b[k*n+j]
			}
			dst[i*n+j] = sum
		}
	}
}

// PairFeatures returns the statistics of every ordered pair [N,N,
// PairFeatureCount]: for the pair (i, j),
//
//	0 Corr_ij   1 Partial_ij   2 CorrQZ_ij   3 CorrQZ_ji   4 CorrQQ_ij
//	5 Shift_ij  6 Shift_ji     7 IntVar_ij   8 IntVar_ji
//	9 min(Count_i, 1)   10 min(Count_j, 1)   11 log1p(Count_i)/5   12 log1p(Count_j)/5
//	13 log1p(RefRows)/5  14 HasObs  15 clamp(log SD_i − log SD_j, ±FeatureClip)
//	16 1 if i = j        17 |Corr_ij|         18 |Partial_ij|
func (s *DataStats) PairFeatures(clip float64) []float64 {
	n, p := s.N, PairFeatureCount
	out := make([]float64, n*n*p)
	for i := range n {
		for j := range n {
			ij, ji := i*n+j, j*n+i
			f := out[ij*p : (ij+1)*p]
			f[0], f[1], f[2], f[3], f[4] = s.Corr[ij], s.Partial[ij], s.CorrQZ[ij], s.CorrQZ[ji], s.CorrQQ[ij]
			f[5], f[6], f[7], f[8] = s.Shift[ij], s.Shift[ji], s.IntVar[ij], s.IntVar[ji]
			f[9], f[10] = math.Min(s.Count[i], 1), math.Min(s.Count[j], 1)
			f[11], f[12] = math.Log1p(s.Count[i])/5, math.Log1p(s.Count[j])/5
			f[13], f[14] = math.Log1p(s.RefRows)/5, s.HasObs
			f[15] = refClamp(math.Log(s.SD[i])-math.Log(s.SD[j]), -clip, clip)
			if i == j {
				f[16] = 1
			}
			f[17], f[18] = math.Abs(s.Corr[ij]), math.Abs(s.Partial[ij])
		}
	}
	return out
}

// QueryFeatures returns the statistics of the query do(x_k = v) for every
// variable j [N, QueryFeatureCount], with u = clamp((v − Mean_k)/SD_k,
// ±FeatureClip) and qu = clamp((u² − MeanSq_k)/SDSq_k, ±FeatureClip):
//
//	0 u             1 u·Corr_kj      2 qu·CorrQZ_kj   3 Shift_kj
//	4 Shift_kk      5 min(Count_k, 1)
//	6 the mean of z_j over the rows matching the query, 7 min(matches, 1),
//	8 log1p(matches)/5, where a row matches with weight
//	  intervened_rk · max(0, 1 − |x_rk − v| / (MatchTolerance·(1+|v|)))
//	9 1 if j = k    10 clamp(log SD_k − log SD_j, ±FeatureClip)   11 IntVar_kj
func (s *DataStats) QueryFeatures(k int, v, clip float64) []float64 {
	n, f := s.N, QueryFeatureCount
	out := make([]float64, n*f)
	u := refClamp((v-s.Mean[k])/s.SD[k], -clip, clip)
	qu := refClamp((u*u-s.MeanSq[k])/s.SDSq[k], -clip, clip)
	r := len(s.samples) / n
	tol := MatchTolerance * (1 + math.Abs(v))
	match := make([]float64, r)
	matches := 0.0
	for i := range r {
		match[i] = s.intervened[i*n+k] * math.Max(0, 1-math.Abs(s.samples[i*n+k]-v)/tol)
		matches += match[i]
	}
	for j := range n {
		kj := k*n + j
		o := out[j*f : (j+1)*f]
		o[0], o[1], o[2], o[3] = u, u*s.Corr[kj], qu*s.CorrQZ[kj], s.Shift[kj]
		o[4], o[5] = s.Shift[k*n+k], math.Min(s.Count[k], 1)
		m := 0.0
		for i := range r {
			m += match[i] * s.z[i*n+j]
		}
		o[6] = m / math.Max(matches, 1)
		o[7], o[8] = math.Min(matches, 1), math.Log1p(matches)/5
		if j == k {
			o[9] = 1
		}
		o[10] = refClamp(math.Log(s.SD[k])-math.Log(s.SD[j]), -clip, clip)
		o[11] = s.IntVar[kj]
	}
	return out
}

// Effect returns the effect of do(x_k = v) on every variable [N] from the
// effect head's output pred [N] (a correction, in units of each variable's
// SD, to the sample mean shift of the rows that match the query):
// SD_j·(pred_j + M_j) for j ≠ k, with M_j QueryFeatures' channel 6 (0 when
// no row matches), and exactly v − Mean_k for j = k.
func (s *DataStats) Effect(pred []float64, k int, v, clip float64) []float64 {
	f := s.QueryFeatures(k, v, clip)
	out := make([]float64, s.N)
	for j := range s.N {
		if j == k {
			out[j] = v - s.Mean[j]
		} else {
			out[j] = s.SD[j] * (pred[j] + f[j*QueryFeatureCount+6])
		}
	}
	return out
}
