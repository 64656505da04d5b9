package model

import "math"

// Model F's data-set statistics. They are data only (no parameter, no
// gradient): every rendering computes them from samples and intervened (and
// the queries), and this file is their specification, in float64.

// Statistic sizes and constants of Model F.
const (
	// QueryFeatureCount is the number of statistics per (query, variable).
	QueryFeatureCount = 12
	// PartialRidge is added to the diagonal of the observational
	// correlation matrix before it is inverted for partial correlations.
	PartialRidge = 0.1
	// NewtonSchulzSteps is the number of Newton–Schulz iterations
	// X ← X(2I − AX), from X = I/tr(A), that invert it (enough for
	// tr(A)/PartialRidge up to ~1e4 in float32).
	NewtonSchulzSteps = 18
	// LatestStats is the newest version of the statistics (Config.Stats).
	LatestStats = 4
	// EtaBins is the number of tent bins of the correlation ratios
	// (statistics version 3): centres −EtaRange, …, EtaRange of clamped z,
	// EtaWidth apart.
	EtaBins = 5
	// EtaRange clamps z before it is binned for the correlation ratios.
	EtaRange = 2.0
	// EtaWidth is the spacing of the tent bins' centres (and each tent's
	// half-width), 2·EtaRange/(EtaBins − 1).
	EtaWidth = 2 * EtaRange / (EtaBins - 1)
	// MatchTolerance is the relative tolerance under which an interventional
	// row's value counts as the queried value: |x − v| < MatchTolerance·(1+|v|).
	MatchTolerance = 1e-3
)

// EffectOutputs returns the width of Model F's effect head output per
// (query, variable): 1 in statistics version 1; 2 in version 2, one
// prediction for queries the data ran and one for queries they did not
// (see DataStats.Effect).
func EffectOutputs(c Config) int {
	if c.StatsVersion() >= 2 {
		return 2
	}
	return 1
}

// PairFeatureCount returns the number of statistics per ordered pair (i, j)
// of a Model F with configuration c: 19 in statistics version 1, 22 in
// version 2, 27 in version 3, 30 in version 4.
func PairFeatureCount(c Config) int {
	switch {
	case c.StatsVersion() >= 4:
		return 30
	case c.StatsVersion() >= 3:
		return 27
	case c.StatsVersion() >= 2:
		return 22
	}
	return 19
}

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
// Statistics version 2 also pools every row: with g_rj = z_rj·(1 −
// intervened_rj) (an intervened value imputed by the reference mean) and G =
// Σ_r g_ri g_rj,
//
//	Pooled        = G_ij / √(G_ii G_jj)      (0 where a variable has no free row)
//	PooledPartial = the partial correlations of Pooled, as Partial's of Corr
//
// Statistics version 3 reads the interventional rows jointly with the
// observational ones: with J = Σ_r z_ri z_rj over every row (an intervened
// value is kept: the intervention makes its variable exogenous, so a
// regression on it separates direct from indirect effects),
//
//	Joint        = J_ij / √((J_ii + GramRidge·R)(J_jj + GramRidge·R))
//	JointPartial = the partial correlations of Joint
//
// and Pooled takes the same ridge (version 2's has none): a column that
// hardly varies (its variance under 1% of an observational variance, its
// sd under a tenth) then gives
// near-zero correlations instead of ±1 from its rounding noise (without it,
// a 1e-7 relative change of such data moved the float64 model's logits by
// 0.5, and float32 renderings disagreed);
// and a nonparametric dependence, the correlation ratio of g_j on tent bins
// of z_i: with c_ri = clamp(z_ri, ±EtaRange), h_b(c) = max(0, 1 − |c −
// centre_b|/EtaWidth) for the EtaBins centres, S_b = Σ_r h_b(c_ri) g_rj,
// C_b = Σ_r h_b(c_ri), T_j = Σ_r g_rj, T2_j = Σ_r g_rj² and R rows,
//
//	Eta_ij = clamp((Σ_b S_b²/(C_b + 1) − T_j²/(R + 1)) / max(T2_j − T_j²/(R + 1), EtaFloor·R), 0, 1)
//
// the share of j's variation that a function of i explains (asymmetric:
// sin, cos and quadratic mechanisms, which correlations miss).
//
// Statistics version 4 adds conditional dependence beyond the linear: an
// additive regression of every variable on all the others. Every variable
// gets AdditiveBasis basis functions of its z over every row (intervened
// values kept, as in Joint): z, z², and the tents t_c(z) = max(0, 1 −
// |clamp(z, ±1) − c|) at c = −1 and 0 (the one at +1 is their complement
// on [−1, 1]). With the basis columns centred over the rows, their Gram
// normalised as Joint's (ridge GramRidge·R) and P the inverse of it plus
// AdditiveRidge·I, PC_ab = −P_ab/√(P_aa P_bb) is the partial correlation of
// basis functions a and b given every other basis function, and
//
//	Additive_ij         = √(mean over a ∈ basis(i), b ∈ basis(j) of PC_ab²)
//	AdditiveDirected_ij = √(mean over a ∈ basis(i) of PC_{a, z_j}²)
//
// (Additive is symmetric; AdditiveDirected reads how much a function of
// x_i explains x_j itself given everything else). In an additive model
// x_j = Σ f_ij(x_i) + noise, what the scm package samples, a variable's
// ancestors that are not its parents are conditionally independent of it
// given the parents, which a linear partial correlation cannot see when
// the mechanisms are not linear: on 20 notebook-prior data sets at N = 20,
// Additive alone ranks parents above other ancestors with AUROC 0.79,
// JointPartial 0.72. The inverse is exact here (Cholesky); renderings may
// use NewtonSchulzSteps iterations, which converge for these matrices
// (every eigenvalue in [AdditiveRidge, (1 + AdditiveRidge)·4N]) well within
// the 18 steps up to N = 100.
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
	Pooled, PooledPartial  []float64 // version 2
	Joint, JointPartial    []float64 // version 3
	Eta                    []float64 // version 3
	Additive               []float64 // version 4
	AdditiveDirected       []float64 // version 4
	RefRows, HasObs        float64
	cfg                    Config
	z                      []float64 // [R,N]
	samples, intervened    []float64 // [R,N]
}

// DataSetStats computes the statistics of one data set: x and intervened
// are [r,n] row-major. It is the float64 specification of Model F's
// statistics (see DataStats) for the configuration c (its StdFloor,
// FeatureClip and statistics version).
func DataSetStats(c Config, x, intervened []float64, r, n int) *DataStats {
	floor, clip := c.StdFloor, c.FeatureClip
	s := &DataStats{N: n, samples: x, intervened: intervened, cfg: c}
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
	cross := func(a, b []float64, symmetric bool) []float64 {
		out := make([]float64, n*n)
		for k := range r {
			if w[k] == 0 {
				continue
			}
			bk := b[k*n : (k+1)*n]
			for i, av := range a[k*n : (k+1)*n] {
				lo := 0
				if symmetric {
					lo = i
				}
				o := out[i*n : (i+1)*n]
				for j := lo; j < n; j++ {
					o[j] += av * bk[j]
				}
			}
		}
		if symmetric {
			mirror(out, n)
		}
		for i := range out {
			out[i] /= nw - 1
		}
		return out
	}
	s.Corr, s.CorrQZ, s.CorrQQ = cross(s.z, s.z, true), cross(q, s.z, false), cross(q, q, true)

	s.Partial = partialCorrelations(s.Corr, n)
	if c.StatsVersion() >= 2 {
		g := make([]float64, r*n)
		for i, z := range s.z {
			g[i] = z * (1 - intervened[i])
		}
		ridge := 0.0
		if c.StatsVersion() >= 3 {
			ridge = GramRidge * float64(r)
		}
		s.Pooled = normalisedGram(g, r, n, ridge)
		s.PooledPartial = partialCorrelations(s.Pooled, n)
		if c.StatsVersion() >= 3 {
			s.Joint = normalisedGram(s.z, r, n, ridge)
			s.JointPartial = partialCorrelations(s.Joint, n)
			s.Eta = correlationRatios(s.z, g, r, n)
		}
		if c.StatsVersion() >= 4 {
			s.Additive, s.AdditiveDirected = additiveDependence(s.z, r, n)
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

// normalisedGram returns G_ij/√((G_ii + ridge)(G_jj + ridge)) for G = Σ_r
// a_ri a_rj (0 where a column is all zero and ridge is 0).
func normalisedGram(a []float64, r, n int, ridge float64) []float64 {
	gram := make([]float64, n*n)
	for k := range r {
		ak := a[k*n : (k+1)*n]
		for i, x := range ak {
			if x == 0 {
				continue
			}
			o := gram[i*n : (i+1)*n]
			for j := i; j < n; j++ {
				o[j] += x * ak[j]
			}
		}
	}
	mirror(gram, n)
	return normalise(gram, n, ridge)
}

// normalise returns G_ij/√((G_ii + ridge)(G_jj + ridge)) of the n×n Gram
// g (0 where that is 0/0).
func normalise(g []float64, n int, ridge float64) []float64 {
	out := make([]float64, n*n)
	for i := range n {
		for j := range n {
			if d := (g[i*n+i] + ridge) * (g[j*n+j] + ridge); d > 0 {
				out[i*n+j] = g[i*n+j] / math.Sqrt(d)
			}
		}
	}
	return out
}

// mirror copies the upper triangle of the n×n matrix m onto its lower one
// (a Gram summed over j ≥ i only: its (i, j) and (j, i) sums are the same
// products in the same order, so the copy is exact).
func mirror(m []float64, n int) {
	for i := range n {
		for j := range i {
			m[i*n+j] = m[j*n+i]
		}
	}
}

// Conditioning constants of the version-3 statistics (see DataStats).
const (
	// EtaFloor·R bounds the denominator of the correlation ratios: a
	// variable whose spread is under 1% of an observational variance has
	// no variation to explain.
	EtaFloor = 1e-2
	// GramRidge·R is added to the diagonal scales of the normalised Grams
	// (Pooled, Joint).
	GramRidge = 1e-2
)

// TentBin returns h_b(clamp(z, ±EtaRange)), the weight of z in tent bin b of
// the correlation ratios; the EtaBins weights of any z sum to 1.
func TentBin(z float64, b int) float64 {
	c := refClamp(z, -EtaRange, EtaRange)
	centre := -EtaRange + float64(b)*EtaWidth
	return math.Max(0, 1-math.Abs(c-centre)/EtaWidth)
}

// correlationRatios returns Eta [N,N] of z (binned) and g (explained), both
// [r,n] (see DataStats).
func correlationRatios(z, g []float64, r, n int) []float64 {
	s := make([]float64, EtaBins*n*n)
	c := make([]float64, EtaBins*n)
	t, t2 := make([]float64, n), make([]float64, n)
	h := make([]float64, EtaBins)
	for k := range r {
		gk := g[k*n : (k+1)*n]
		for j, v := range gk {
			t[j] += v
			t2[j] += v * v
		}
		for i, zi := range z[k*n : (k+1)*n] {
			for b := range EtaBins {
				h[b] = TentBin(zi, b)
			}
			for b, w := range h {
				if w == 0 {
					continue
				}
				c[b*n+i] += w
				o := s[(b*n+i)*n : (b*n+i+1)*n]
				for j, v := range gk {
					o[j] += w * v
				}
			}
		}
	}
	out := make([]float64, n*n)
	rf := float64(r)
	for i := range n {
		for j := range n {
			between := 0.0
			for b := range EtaBins {
				v := s[(b*n+i)*n+j]
				between += v * v / (c[b*n+i] + 1)
			}
			base := t[j] * t[j] / (rf + 1)
			out[i*n+j] = refClamp((between-base)/math.Max(t2[j]-base, EtaFloor*rf), 0, 1)
		}
	}
	return out
}

// partialCorrelations returns −P_ij/√(P_ii P_jj) for P the Newton–Schulz
// inverse of c + PartialRidge·I.
func partialCorrelations(c []float64, n int) []float64 {
	a := append([]float64(nil), c...)
	tr := 0.0
	for i := range n {
		a[i*n+i] += PartialRidge
		tr += a[i*n+i]
	}
	p := NewtonSchulzInverse(a, n, tr)
	out := make([]float64, n*n)
	for i := range n {
		for j := range n {
			out[i*n+j] = -p[i*n+j] / math.Sqrt(p[i*n+i]*p[j*n+j])
		}
	}
	return out
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
//
// in statistics version 2
//
//	19 Pooled_ij         20 PooledPartial_ij  21 |PooledPartial_ij|
//
// and in version 3
//
//	22 Joint_ij          23 JointPartial_ij   24 |JointPartial_ij|
//	25 Eta_ij            26 Eta_ji
//
// and in version 4
//
//	27 Additive_ij       28 AdditiveDirected_ij   29 AdditiveDirected_ji
func (s *DataStats) PairFeatures() []float64 {
	clip := s.cfg.FeatureClip
	n, p := s.N, PairFeatureCount(s.cfg)
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
			if p > 19 {
				f[19], f[20], f[21] = s.Pooled[ij], s.PooledPartial[ij], math.Abs(s.PooledPartial[ij])
			}
			if p > 22 {
				f[22], f[23], f[24] = s.Joint[ij], s.JointPartial[ij], math.Abs(s.JointPartial[ij])
				f[25], f[26] = s.Eta[ij], s.Eta[ji]
			}
			if p > 27 {
				f[27], f[28], f[29] = s.Additive[ij], s.AdditiveDirected[ij], s.AdditiveDirected[ji]
			}
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
//	6 the mean of z_j over the rows matching the query (version 2:
//	  clamp(M_j/SD_j, ±FeatureClip), M_j the raw mean shift, see Effect),
//	  7 min(matches, 1),
//	8 log1p(matches)/5, where a row matches with weight
//	  intervened_rk · max(0, 1 − |x_rk − v| / (MatchTolerance·(1+|v|)))
//	9 1 if j = k    10 clamp(log SD_k − log SD_j, ±FeatureClip)   11 IntVar_kj
func (s *DataStats) QueryFeatures(k int, v float64) []float64 {
	clip := s.cfg.FeatureClip
	n, f := s.N, QueryFeatureCount
	out := make([]float64, n*f)
	u := refClamp((v-s.Mean[k])/s.SD[k], -clip, clip)
	qu := refClamp((u*u-s.MeanSq[k])/s.SDSq[k], -clip, clip)
	r := len(s.samples) / n
	match, matches := s.matches(k, v)
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
		if s.cfg.StatsVersion() >= 2 {
			o[6] = refClamp(s.matchedShift(match, matches, j)/s.SD[j], -clip, clip)
		}
		o[7], o[8] = math.Min(matches, 1), math.Log1p(matches)/5
		if j == k {
			o[9] = 1
		}
		o[10] = refClamp(math.Log(s.SD[k])-math.Log(s.SD[j]), -clip, clip)
		o[11] = s.IntVar[kj]
	}
	return out
}

// matches returns each row's weight of matching do(x_k = v),
// intervened_rk·max(0, 1 − |x_rk − v|/(MatchTolerance·(1+|v|))), and their sum.
func (s *DataStats) matches(k int, v float64) (match []float64, total float64) {
	n := s.N
	tol := MatchTolerance * (1 + math.Abs(v))
	match = make([]float64, len(s.samples)/n)
	for i := range match {
		match[i] = s.intervened[i*n+k] * math.Max(0, 1-math.Abs(s.samples[i*n+k]-v)/tol)
		total += match[i]
	}
	return match, total
}

// matchedShift is M_j = Σ_r match_r x_rj / max(matches, 1) − Mean_j·min(matches, 1):
// the raw mean shift of variable j over the rows matching a query (0 when
// none match).
func (s *DataStats) matchedShift(match []float64, matches float64, j int) float64 {
	n := s.N
	m := 0.0
	for i, w := range match {
		m += w * s.samples[i*n+j]
	}
	return m/math.Max(matches, 1) - s.Mean[j]*math.Min(matches, 1)
}

// Effect returns the effect of do(x_k = v) on every variable [N] from the
// effect head's output pred [N, EffectOutputs], a correction in units of
// each variable's SD to the sample mean shift of the rows that match the
// query: for j ≠ k, SD_j·(pred_j + z_j) in statistics version 1 (z_j:
// QueryFeatures' channel 6, the matched rows' clamped mean z), and
// SD_j·((1 − a)·pred_j0 + a·pred_j1) + M_j in version 2 (a = min(matches,
// 1): the first output answers queries the data did not run, the second
// corrects the raw mean shift M_j of the rows that did; M_j = 0 when no row
// matches); exactly v − Mean_k for j = k.
func (s *DataStats) Effect(pred []float64, k int, v float64) []float64 {
	scale, out := s.EffectAffine(k, v)
	w := len(scale) / s.N
	for j := range out {
		for c := range w {
			out[j] += scale[j*w+c] * pred[j*w+c]
		}
	}
	return out
}

// EffectAffine returns Effect as the affine map it is: effect_j =
// Σ_c scale[j,c]·pred[j,c] + fixed_j, scale [N, EffectOutputs].
func (s *DataStats) EffectAffine(k int, v float64) (scale, fixed []float64) {
	n, w := s.N, EffectOutputs(s.cfg)
	scale, fixed = make([]float64, n*w), make([]float64, n)
	var f []float64
	match, matches := s.matches(k, v)
	if w == 1 {
		f = s.QueryFeatures(k, v)
	}
	a := math.Min(matches, 1)
	for j := range n {
		switch {
		case j == k:
			fixed[j] = v - s.Mean[j]
		case w == 2:
			scale[2*j], scale[2*j+1] = s.SD[j]*(1-a), s.SD[j]*a
			fixed[j] = s.matchedShift(match, matches, j)
		default:
			scale[j] = s.SD[j]
			fixed[j] = s.SD[j] * f[j*QueryFeatureCount+6]
		}
	}
	return scale, fixed
}
