package export

import (
	"math"
	"slices"

	"causeway/model"
)

// Model F's Builder methods. The statistics of model.DataStats are emitted
// with MatMul over the rows (sums weighted by the reference-row indicator w,
// or by intervened), so counts of 0/1 values are exact in float32; the
// partial correlations come from model.NewtonSchulzSteps unrolled
// Newton–Schulz iterations.

// dsStats holds the names of one graph's data-set statistics.
type dsStats struct {
	onesN, onesR    string // [N,1], [B,R,1]
	w, wT, nw, nwm1 string // [B,R,1], [B,1,R], [B,1,1], [B,1,1]
	hasObs          string // [B,1,1]
	mean, sd        string // [B,1,N]
	meanSq, sdSq    string // [B,1,N]
	z, q            string // [B,R,N]
	corr, corrQZ    string // [B,N,N]
	corrQQ, partial string
	pooled          string // [B,N,N], statistics version 2
	pooledPartial   string
	joint           string // [B,N,N], statistics version 3
	jointPartial    string
	eta             string
	additive        string // [B,N,N], statistics version 4
	additiveDir     string
	count, active   string // [B,N,1]: Count, min(Count,1)
	shift, intVar   string // [B,N,N]
	logSD           string // [B,1,N]
	zerosNN         string // [B,N,N]
	eye             string // [N,N]
}

// rowSum returns Σ over the last axis of x [.., K] as [.., 1] by MatMul with
// ones (exact for 0/1 values).
func (b *graph) reduceLast(s, label, x, ones string) string {
	return b.node(s, label, "MatMul", []string{x, ones})
}

// clipBelow returns max(x, lo).
func (b *graph) clipBelow(s, label, x string, lo float32) string {
	return b.node(s, label, "Clip", []string{x, b.scalar(constName("min", lo), lo), b.scalar("float_max", math.MaxFloat32)})
}

// clamp returns clamp(x, −c, c).
func (b *graph) clamp(s, label, x string, c float32) string {
	return b.node(s, label, "Clip", []string{x, b.scalar(constName("neg", c), -c), b.scalar(constName("pos", c), c)})
}

func constName(prefix string, v float32) string {
	return intsName(prefix, int64(math.Float32bits(v)))
}

// abs returns |x| as √(x·x).
func (b *graph) abs(s, label, x string) string {
	return b.node(s, label, "Sqrt", []string{b.node(s, label+"_sq", "Mul", []string{x, x})})
}

func (b *graph) transpose12(s, label, x string) string {
	return b.node(s, label, "Transpose", []string{x}, attrInts("perm", 0, 2, 1))
}

// dimOf returns dimension i of x as a 1-element int64 tensor.
func (b *graph) dimOf(x string, i int64) string {
	return b.once("dim:"+x+":"+intsName("i", i), func() string {
		sh := b.node(scope(x), "shape", "Shape", []string{x})
		return b.node(scope(x), intsName("dim", i), "Slice", []string{sh, b.ints(intsName("starts", i), i), b.ints(intsName("ends", i+1), i+1)})
	})
}

// shape returns a 1-D int64 shape tensor concatenated from parts: int64
// constants (a plain number) or 1-element dimension tensors (a name).
func (b *graph) shapeOf(label string, parts ...any) string {
	names := make([]string, len(parts))
	for i, p := range parts {
		switch v := p.(type) {
		case int:
			names[i] = b.ints(intsName("dim", int64(v)), int64(v))
		case string:
			names[i] = v
		}
	}
	return b.node("dims", label, "Concat", names, attrInt("axis", -1))
}

func (b *graph) dataStats(samples, intervened string) *dsStats {
	if b.ds != nil {
		return b.ds
	}
	const s = "stats"
	c := b.cfg
	floor, clip := float32(c.StdFloor), float32(c.FeatureClip)
	st := &dsStats{}
	one := b.scalar("one", 1)
	eye, _, _ := b.eye()
	st.eye = eye
	m := b.cfg.MaxNodes
	ones := make([]float32, m)
	for i := range ones {
		ones[i] = 1
	}
	onesFull := b.addInit(floatTensor("const/ones_column", []int64{int64(m), 1}, ones))
	st.onesN = b.node(s, "ones_N", "Slice", []string{onesFull, b.ints("zero", 0), b.dimN(), b.axes(0)})

	rowSum := b.reduceLast(s, "row_interventions", intervened, st.onesN) // [B,R,1]
	st.onesR = b.node(s, "ones_R", "Add", []string{b.node(s, "zero_R", "Mul", []string{rowSum, b.scalar("zero_f", 0)}), one})
	obs := b.node(s, "observational", "Relu", []string{b.node(s, "one_minus_rows", "Sub", []string{one, rowSum})})
	obsT := b.transpose12(s, "observational_T", obs)
	nObs := b.node(s, "observational_rows", "MatMul", []string{obsT, obs}) // [B,1,1]
	st.hasObs = b.node(s, "has_obs", "Clip", []string{b.node(s, "obs_minus_1", "Sub", []string{nObs, one}), b.scalar("zero_f", 0), one})
	w := b.node(s, "ref_obs", "Mul", []string{st.hasObs, obs})
	st.w = b.node(s, "ref_rows", "Add", []string{w, b.node(s, "no_obs", "Sub", []string{one, st.hasObs})})
	st.wT = b.transpose12(s, "ref_rows_T", st.w)
	st.nw = b.node(s, "ref_count", "MatMul", []string{st.wT, st.w})
	st.nwm1 = b.node(s, "ref_count_minus_1", "Sub", []string{st.nw, one})

	standardise := func(x, label string) (mean, sd, out string) {
		mean = b.node(s, label+"_mean", "Div", []string{b.node(s, label+"_sum", "MatMul", []string{st.wT, x}), st.nw})
		dev := b.node(s, label+"_dev", "Sub", []string{x, mean})
		v := b.node(s, label+"_var", "Div", []string{b.node(s, label+"_ss", "MatMul", []string{st.wT, b.node(s, label+"_dev_sq", "Mul", []string{dev, dev})}), st.nwm1})
		sd = b.clipBelow(s, label+"_sd", b.node(s, label+"_sqrt_var", "Sqrt", []string{v}), floor)
		out = b.clamp(s, label+"_z", b.node(s, label+"_scaled", "Div", []string{dev, sd}), clip)
		return mean, sd, out
	}
	st.mean, st.sd, st.z = standardise(samples, "x")
	zsq := b.node(s, "z_sq", "Mul", []string{st.z, st.z})
	st.meanSq, st.sdSq, st.q = standardise(zsq, "z2")
	wz := b.node(s, "ref_z", "Mul", []string{st.z, st.w})
	wq := b.node(s, "ref_q", "Mul", []string{st.q, st.w})
	cross := func(a, x, label string) string {
		return b.node(s, label, "Div", []string{b.node(s, label+"_gram", "MatMul", []string{b.transpose12(s, label+"_T", a), x}), st.nwm1})
	}
	st.corr = cross(wz, st.z, "corr")
	st.corrQZ = cross(wq, st.z, "corr_qz")
	st.corrQQ = cross(wq, st.q, "corr_qq")
	st.zerosNN = b.node(s, "zeros_NN", "Mul", []string{st.corr, b.scalar("zero_f", 0)})

	st.partial = b.partialCorrelations(s+"/partial", st.corr, st.onesN)
	if c.StatsVersion() >= 2 {
		const p = s + "/pooled"
		free := b.node(p, "free", "Sub", []string{one, intervened})
		g := b.node(p, "free_z", "Mul", []string{st.z, free})
		ridge := ""
		if c.StatsVersion() >= 3 {
			ridge = b.gramRidge(st.onesR)
		}
		st.pooled = b.normalisedGram(p, g, eye, st.onesN, ridge)
		st.pooledPartial = b.partialCorrelations(p+"/partial", st.pooled, st.onesN)
		if c.StatsVersion() >= 3 {
			st.joint = b.normalisedGram(s+"/joint", st.z, eye, st.onesN, ridge)
			st.jointPartial = b.partialCorrelations(s+"/joint/partial", st.joint, st.onesN)
			st.eta = b.correlationRatios(s+"/eta", st.z, g, st.onesR)
		}
		if c.StatsVersion() >= 4 {
			st.additive, st.additiveDir = b.additiveDependence(s+"/additive", st.z, zsq, st.onesR, st.onesN)
		}
	}

	// Interventional statistics.
	mT := b.transpose12(s, "intervened_T", intervened)              // [B,N,R]
	st.count = b.node(s, "count", "MatMul", []string{mT, st.onesR}) // [B,N,1]
	st.active = b.node(s, "active", "Clip", []string{st.count, b.scalar("zero_f", 0), one})
	cden := b.clipBelow(s, "count_den", st.count, 1)
	st.shift = b.node(s, "shift", "Div", []string{b.node(s, "shift_sum", "MatMul", []string{mT, st.z}), cden})
	e2 := b.node(s, "int_second", "Div", []string{b.node(s, "int_sq_sum", "MatMul", []string{mT, zsq}), cden})
	v := b.node(s, "int_var_raw", "Sub", []string{e2, b.node(s, "shift_sq", "Mul", []string{st.shift, st.shift})})
	st.intVar = b.node(s, "int_var", "Clip", []string{v, b.scalar("zero_f", 0), b.scalar(constName("pos", clip), clip)})
	st.logSD = b.node(s, "log_sd", "Log", []string{st.sd})
	b.ds = st
	return st
}

// rowCount returns R as [B,1,1] (ones_R summed by MatMul: exact).
func (b *graph) rowCount(onesR string) string {
	return b.once("row_count", func() string {
		return b.node("stats", "row_count", "MatMul", []string{b.transpose12("stats", "ones_R_T", onesR), onesR})
	})
}

// gramRidge returns model.GramRidge·R [B,1,1].
func (b *graph) gramRidge(onesR string) string {
	return b.once("gram_ridge", func() string {
		return b.node("stats", "gram_ridge", "Mul", []string{b.rowCount(onesR), b.scalar("gram_ridge", model.GramRidge)})
	})
}

// normalisedGram returns G_ij/√((G_ii + ridge)(G_jj + ridge)) [B,N,N] for
// G = aᵀa, a [B,R,N], and ridge [B,1,1] ("": none; then 0 where a column
// is all zero).
func (b *graph) normalisedGram(s, a, eye, onesN, ridge string) string {
	gram := b.node(s, "gram", "MatMul", []string{b.transpose12(s, "a_T", a), a})
	d := b.reduceLast(s, "gram_diag", b.node(s, "gram_diag_only", "Mul", []string{gram, eye}), onesN) // [B,N,1]
	if ridge != "" {
		d = b.node(s, "gram_diag_ridge", "Add", []string{d, ridge})
	}
	dd := b.clipBelow(s, "gram_scale_sq", b.node(s, "gram_outer", "Mul", []string{d, b.transpose12(s, "gram_diag_T", d)}), 1e-30)
	return b.node(s, "normalised", "Div", []string{gram, b.node(s, "gram_scale", "Sqrt", []string{dd})})
}

// correlationRatios returns model.DataStats' Eta [B,N,N] of z (binned) and
// g (explained), both [B,R,N]: one MatMul over the rows per tent bin.
func (b *graph) correlationRatios(s, z, g, onesR string) string {
	one := b.scalar("one", 1)
	c := b.clamp(s, "binned", z, float32(model.EtaRange))
	onesRT := b.transpose12(s, "ones_R_T", onesR)                                                     // [B,1,R]
	rows := b.rowCount(onesR)                                                                         // [B,1,1]
	t := b.node(s, "total", "MatMul", []string{onesRT, g})                                            // [B,1,N]
	t2 := b.node(s, "total_sq", "MatMul", []string{onesRT, b.node(s, "g_sq", "Mul", []string{g, g})}) // [B,1,N]
	base := b.node(s, "base", "Div", []string{b.node(s, "total_2", "Mul", []string{t, t}), b.node(s, "rows_plus_1", "Add", []string{rows, one})})
	var between string
	for bin := range model.EtaBins {
		centre := float32(-model.EtaRange + float64(bin)*model.EtaWidth)
		dist := b.abs(s, "distance", b.node(s, "offset", "Sub", []string{c, b.scalar(constName("centre", centre), centre)}))
		h := b.node(s, "tent", "Relu", []string{b.node(s, "one_minus", "Sub", []string{one, b.node(s, "scaled", "Div", []string{dist, b.scalar("eta_width", model.EtaWidth)})})})
		hT := b.transpose12(s, "tent_T", h)                            // [B,N,R]
		sum := b.node(s, "bin_sum", "MatMul", []string{hT, g})         // [B,N,N]
		count := b.node(s, "bin_count", "MatMul", []string{hT, onesR}) // [B,N,1]
		term := b.node(s, "bin_between", "Div", []string{b.node(s, "bin_sum_sq", "Mul", []string{sum, sum}), b.node(s, "bin_count_plus_1", "Add", []string{count, one})})
		if between == "" {
			between = term
		} else {
			between = b.node(s, "between", "Add", []string{between, term})
		}
	}
	floor := b.node(s, "floor", "Mul", []string{rows, b.scalar("eta_floor", model.EtaFloor)})
	spread := b.node(s, "spread", "Sub", []string{t2, base})
	// max(spread, floor) = floor + Relu(spread − floor).
	den := b.node(s, "denominator", "Add", []string{floor, b.node(s, "above_floor", "Relu", []string{b.node(s, "spread_minus_floor", "Sub", []string{spread, floor})})})
	ratio := b.node(s, "ratio", "Div", []string{b.node(s, "explained", "Sub", []string{between, base}), den})
	return b.node(s, "eta", "Clip", []string{ratio, b.scalar("zero_f", 0), one})
}

// partialCorrelations returns −P_ij/√(P_ii P_jj) [B,N,N] for P the
// Newton–Schulz inverse of corr + PartialRidge·I (model.NewtonSchulzSteps
// iterations from I/trace).
func (b *graph) partialCorrelations(s, corr, onesN string) string {
	eye, _, _ := b.eye()
	two := b.once("two_eye", func() string { return b.node("diagonal", "two_eye", "Mul", []string{eye, b.scalar("two", 2)}) })
	return b.partialOf(s, corr, eye, two, onesN, b.nFloat(), model.PartialRidge)
}

// nFloat returns N as a float32 [1].
func (b *graph) nFloat() string {
	return b.once("N_float", func() string { return b.node("dims", "N_float", "Cast", []string{b.dimN()}, attrInt("to", 1)) })
}

// partialOf returns −P_ij/√(P_ii P_jj) [B,K,K] for P the Newton–Schulz
// inverse of corr + ridge·I, corr [B,K,K], given the K×K identity eye, 2·eye,
// ones [K,1] and K as a float.
func (b *graph) partialOf(s, corr, eye, two, onesN, nf string, ridge float32) string {
	a := b.node(s, "ridge", "Add", []string{corr, b.node(s, "ridge_eye", "Mul", []string{eye, b.scalar(constName("ridge", ridge), ridge)})})
	diagMean := b.node(s, "diag_mean", "ReduceMean", []string{b.node(s, "diag", "Mul", []string{a, eye})}, attrInts("axes", 1, 2), attrInt("keepdims", 1))
	tr := b.node(s, "trace", "Mul", []string{b.node(s, "diag_sum_N", "Mul", []string{diagMean, nf}), nf})
	x := b.node(s, "ns_init", "Div", []string{eye, tr})
	for range model.NewtonSchulzSteps {
		ax := b.node(s, "ns_ax", "MatMul", []string{a, x})
		x = b.node(s, "ns_x", "MatMul", []string{x, b.node(s, "ns_residual", "Sub", []string{two, ax})})
	}
	d := b.reduceLast(s, "precision_diag", b.node(s, "precision_diag_only", "Mul", []string{x, eye}), onesN) // [B,N,1]
	dd := b.node(s, "precision_outer", "Mul", []string{d, b.transpose12(s, "precision_diag_T", d)})
	return b.node(s, "partial", "Div", []string{b.node(s, "neg_precision", "Sub", []string{b.scalar("zero_f", 0), x}), b.node(s, "precision_scale", "Sqrt", []string{dd})})
}

// additiveDependence returns model.DataStats' Additive and
// AdditiveDirected [B,N,N] of z and z² [B,R,N]: the basis [B,R,4N]
// (basis-major columns), centred by its column means (a MatMul with ones),
// normalisedGram over 4N, partialOf over 4N, and the basis blocks' mean
// squares summed by MatMul with M = [I; I; I; I] [4N,N].
func (b *graph) additiveDependence(s, z, zsq, onesR, onesN string) (sym, directed string) {
	one := b.scalar("one", 1)
	width := b.scalar("additive_range", model.AdditiveRange)
	c := b.clamp(s, "clamped", z, float32(model.AdditiveRange))
	basis := []string{z, zsq}
	for _, c64 := range model.AdditiveTentCentres {
		centre := float32(c64)
		dist := b.abs(s, "distance", b.node(s, "offset", "Sub", []string{c, b.scalar(constName("centre", centre), centre)}))
		basis = append(basis, b.node(s, "tent", "Relu", []string{b.node(s, "one_minus", "Sub", []string{one, b.node(s, "scaled", "Div", []string{dist, width})})}))
	}
	f := b.node(s, "basis", "Concat", basis, attrInt("axis", -1)) // [B,R,4N]
	onesRT := b.transpose12(s, "ones_R_T", onesR)                 // [B,1,R]
	rows := b.rowCount(onesR)
	mean := b.node(s, "mean", "Div", []string{b.node(s, "sum", "MatMul", []string{onesRT, f}), rows}) // [B,1,4N]
	fc := b.node(s, "centred", "Sub", []string{f, mean})

	// The 4N×4N identity, 2·identity, ones [4N,1] and M from the N×N ones.
	eye, _, _ := b.eye()
	zeros := b.node(s, "zeros_NN", "Mul", []string{eye, b.scalar("zero_f", 0)})
	rowsOf := make([]string, model.AdditiveBasis)
	stack := make([]string, model.AdditiveBasis)
	for i := range model.AdditiveBasis {
		blocks := make([]string, model.AdditiveBasis)
		for j := range blocks {
			blocks[j] = zeros
			if i == j {
				blocks[j] = eye
			}
		}
		rowsOf[i] = b.node(s, "eye_row", "Concat", blocks, attrInt("axis", -1))
		stack[i] = eye
	}
	eyeK := b.node(s, "eye_K", "Concat", rowsOf, attrInt("axis", -2))
	twoK := b.node(s, "two_eye_K", "Mul", []string{eyeK, b.scalar("two", 2)})
	m := b.node(s, "block_sum", "Concat", stack, attrInt("axis", -2)) // [4N,N]
	onesK := b.node(s, "ones_K", "Concat", slices.Repeat([]string{onesN}, model.AdditiveBasis), attrInt("axis", -2))
	kf := b.node(s, "K_float", "Mul", []string{b.nFloat(), b.scalar("basis_count", float32(model.AdditiveBasis))})
	norm := b.normalisedGram(s, fc, eyeK, onesK, b.gramRidge(onesR)) // [B,4N,4N]
	pc := b.partialOf(s+"/partial", norm, eyeK, twoK, onesK, kf, model.AdditiveRidge)
	sq := b.node(s, "partial_sq", "Mul", []string{pc, pc}) // [B,4N,4N]

	cols := b.node(s, "column_blocks", "MatMul", []string{sq, m})                                         // [B,4N,N]
	blockSum := b.node(s, "block_sums", "MatMul", []string{b.transpose12(s, "column_blocks_T", cols), m}) // [B,N,N], symmetric
	sym = b.node(s, "additive", "Sqrt", []string{b.node(s, "block_mean", "Div", []string{blockSum, b.scalar("basis_pairs", float32(model.AdditiveBasis*model.AdditiveBasis))})})
	zRows := b.node(s, "z_rows", "Slice", []string{sq, b.ints("zero", 0), b.dimN(), b.axes(1)}) // [B,N,4N]: rows of z_j
	toZ := b.node(s, "to_z_T", "MatMul", []string{zRows, m})                                    // [B,N,N]: [j][i]
	directed = b.node(s, "additive_directed", "Sqrt", []string{b.node(s, "directed_mean", "Div", []string{b.transpose12(s, "to_z", toZ), b.scalar("basis_count", float32(model.AdditiveBasis))})})
	return sym, directed
}

// log1p5 returns log(1 + x)/5.
func (b *graph) log1p5(s, label, x string) string {
	l := b.node(s, label+"_log", "Log", []string{b.node(s, label+"_plus1", "Add", []string{x, b.scalar("one", 1)})})
	return b.node(s, label, "Div", []string{l, b.scalar("five", 5)})
}

// PairFeatures implements model.Builder.
func (b *graph) PairFeatures(samples, intervened string) string {
	const s = "pair_features"
	st := b.dataStats(samples, intervened)
	clip := float32(b.cfg.FeatureClip)
	bc := func(label, x string) string { return b.node(s, label, "Add", []string{x, st.zerosNN}) }
	t := func(label, x string) string { return b.transpose12(s, label, x) }
	activeT, countL := t("active_T", st.active), b.log1p5(s, "count_log", st.count)
	ch := []string{
		st.corr, st.partial, st.corrQZ, t("corr_qz_T", st.corrQZ), st.corrQQ,
		st.shift, t("shift_T", st.shift), st.intVar, t("int_var_T", st.intVar),
		bc("active_i", st.active), bc("active_j", activeT),
		bc("count_i", countL), bc("count_j", t("count_log_T", countL)),
		bc("ref_rows", b.log1p5(s, "ref_rows_log", st.nw)), bc("has_obs", st.hasObs),
		b.clamp(s, "log_sd_ratio", b.node(s, "log_sd_diff", "Sub", []string{t("log_sd_T", st.logSD), st.logSD}), clip),
		bc("is_diagonal", st.eye), b.abs(s, "abs_corr", st.corr), b.abs(s, "abs_partial", st.partial),
	}
	if b.cfg.StatsVersion() >= 2 {
		ch = append(ch, st.pooled, st.pooledPartial, b.abs(s, "abs_pooled_partial", st.pooledPartial))
	}
	if b.cfg.StatsVersion() >= 3 {
		ch = append(ch, st.joint, st.jointPartial, b.abs(s, "abs_joint_partial", st.jointPartial), st.eta, t("eta_T", st.eta))
	}
	if b.cfg.StatsVersion() >= 4 {
		ch = append(ch, st.additive, st.additiveDir, t("additive_directed_T", st.additiveDir))
	}
	if len(ch) != model.PairFeatureCount(b.cfg) {
		model.Failf("%d pair features, model wants %d", len(ch), model.PairFeatureCount(b.cfg))
	}
	ax := b.axes(3)
	for i, x := range ch {
		ch[i] = b.node(s, "channel", "Unsqueeze", []string{x, ax})
	}
	f := b.node(s, "stack", "Concat", ch, attrInt("axis", 3)) // [B,N,N,P]
	return b.node(s, "pairs", "Reshape", []string{f, b.shapeOf("pair_shape", -1, b.dimN(), model.PairFeatureCount(b.cfg))})
}

// QueryFeatures implements model.Builder.
func (b *graph) QueryFeatures(samples, intervened, qmask, qvalue string) string {
	const s = "query_features"
	st := b.dataStats(samples, intervened)
	q := b.queryStats(samples, intervened, qmask, qvalue)
	clip := float32(b.cfg.FeatureClip)
	zerosQN := b.node(s, "zeros_QN", "Mul", []string{qmask, b.scalar("zero_f", 0)})
	bc := func(label, x string) string { return b.node(s, label, "Add", []string{x, zerosQN}) }
	rowK := func(label, x string) string { return b.node(s, label, "MatMul", []string{qmask, x}) }
	colK := func(label, x string) string { return rowK(label, b.transpose12(s, label+"_T", x)) } // [B,1,N] → [B,Q,1]
	meanSqK, sdSqK := colK("mean_sq_k", st.meanSq), colK("sd_sq_k", st.sdSq)
	u2 := b.node(s, "u_sq", "Mul", []string{q.u, q.u})
	qu := b.clamp(s, "qu", b.node(s, "qu_scaled", "Div", []string{b.node(s, "qu_dev", "Sub", []string{u2, meanSqK}), sdSqK}), clip)
	shiftK := rowK("shift_k", st.shift)
	shiftKK := b.reduceLast(s, "shift_kk", b.node(s, "shift_k_masked", "Mul", []string{shiftK, qmask}), st.onesN)
	lsK := colK("log_sd_k", st.logSD)
	ch := []string{
		bc("u", q.u), b.node(s, "linear_prediction", "Mul", []string{q.u, rowK("corr_k", st.corr)}),
		b.node(s, "quadratic_prediction", "Mul", []string{qu, rowK("corr_qz_k", st.corrQZ)}), shiftK,
		bc("shift_kk_all", shiftKK), bc("active_k", rowK("active_k", st.active)),
		q.matched, bc("matched_any", b.node(s, "matched_any", "Clip", []string{q.matches, b.scalar("zero_f", 0), b.scalar("one", 1)})),
		bc("matched_count", b.log1p5(s, "matches_log", q.matches)), qmask,
		b.clamp(s, "log_sd_ratio", b.node(s, "log_sd_diff", "Sub", []string{lsK, st.logSD}), clip),
		rowK("int_var_k", st.intVar),
	}
	if len(ch) != model.QueryFeatureCount {
		model.Failf("%d query features, model wants %d", len(ch), model.QueryFeatureCount)
	}
	ax := b.axes(3)
	for i, x := range ch {
		ch[i] = b.node(s, "channel", "Unsqueeze", []string{x, ax})
	}
	f := b.node(s, "stack", "Concat", ch, attrInt("axis", 3)) // [B,Q,N,F]
	return b.node(s, "queries", "Reshape", []string{f, b.shapeOf("query_shape", -1, b.dimN(), model.QueryFeatureCount)})
}

// dsQuery holds the per-query statistics shared by QueryFeatures and Effect.
type dsQuery struct {
	u       string // [B,Q,1] clamp((v − Mean_k)/SD_k)
	v       string // [B,Q,1]
	matches string // [B,Q,1]
	matched string // [B,Q,N] mean of z over the matching rows (version 2: clamp(shift/SD))
	shift   string // [B,Q,N] version 2: the matched rows' raw mean shift M
	any     string // [B,Q,1] version 2: min(matches, 1)
}

func (b *graph) queryStats(samples, intervened, qmask, qvalue string) *dsQuery {
	if b.dq != nil {
		return b.dq
	}
	const s = "query_stats"
	st := b.dataStats(samples, intervened)
	clip := float32(b.cfg.FeatureClip)
	q := &dsQuery{}
	q.v = b.node(s, "value", "Unsqueeze", []string{qvalue, b.axes(2)}) // [B,Q,1]
	colK := func(label, x string) string {
		return b.node(s, label, "MatMul", []string{qmask, b.transpose12(s, label+"_T", x)})
	}
	meanK, sdK := colK("mean_k", st.mean), colK("sd_k", st.sd)
	q.u = b.clamp(s, "u", b.node(s, "u_scaled", "Div", []string{b.node(s, "u_dev", "Sub", []string{q.v, meanK}), sdK}), clip)
	qmT := b.transpose12(s, "query_mask_T", qmask)                         // [B,N,Q]
	xk := b.node(s, "x_k", "MatMul", []string{samples, qmT})               // [B,R,Q]
	mk := b.node(s, "intervened_k", "MatMul", []string{intervened, qmT})   // [B,R,Q]
	vt := b.node(s, "value_row", "Unsqueeze", []string{qvalue, b.axes(1)}) // [B,1,Q]
	tol := b.node(s, "tolerance", "Mul", []string{b.node(s, "one_plus_abs", "Add", []string{b.abs(s, "abs_value", vt), b.scalar("one", 1)}),
		b.scalar("match_tolerance", model.MatchTolerance)})
	dist := b.node(s, "relative_distance", "Div", []string{b.abs(s, "distance", b.node(s, "diff", "Sub", []string{xk, vt})), tol})
	match := b.node(s, "match", "Mul", []string{mk, b.node(s, "closeness", "Relu", []string{b.node(s, "one_minus", "Sub", []string{b.scalar("one", 1), dist})})})
	matchT := b.transpose12(s, "match_T", match) // [B,Q,R]
	q.matches = b.node(s, "matches", "MatMul", []string{matchT, st.onesR})
	den := b.clipBelow(s, "matches_den", q.matches, 1)
	if b.cfg.StatsVersion() >= 2 {
		q.any = b.node(s, "matched_any", "Clip", []string{q.matches, b.scalar("zero_f", 0), b.scalar("one", 1)})
		m := b.node(s, "matched_raw_mean", "Div", []string{b.node(s, "matched_raw_sum", "MatMul", []string{matchT, samples}), den})
		q.shift = b.node(s, "matched_shift", "Sub", []string{m, b.node(s, "matched_mean_ref", "Mul", []string{st.mean, q.any})})
		q.matched = b.clamp(s, "matched_shift_sd", b.node(s, "matched_shift_scaled", "Div", []string{q.shift, st.sd}), clip)
	} else {
		q.matched = b.node(s, "matched_mean", "Div", []string{b.node(s, "matched_sum", "MatMul", []string{matchT, st.z}), den})
	}
	b.dq = q
	return q
}

// SwapPairs implements model.Builder.
func (b *graph) SwapPairs(x string) string {
	const s = "swap_pairs"
	k := b.dimOf(x, 2)
	y := b.node(s, "grid", "Reshape", []string{x, b.shapeOf("grid_shape", -1, b.dimN(), b.dimN(), k)})
	y = b.node(s, "transpose", "Transpose", []string{y}, attrInts("perm", 0, 2, 1, 3))
	return b.node(s, "rows", "Reshape", []string{y, b.shapeOf("rows_shape", -1, b.dimN(), k)})
}

// PairProduct implements model.Builder: both grids channel-major [B,K,N,N],
// one batched MatMul, divided by N, and back.
func (b *graph) PairProduct(a, x string) string {
	const s = "pair_product"
	k := b.dimOf(x, 2)
	grid := func(label, t string) string {
		y := b.node(s, label+"_grid", "Reshape", []string{t, b.shapeOf("grid_shape", -1, b.dimN(), b.dimN(), k)})
		return b.node(s, label+"_channels", "Transpose", []string{y}, attrInts("perm", 0, 3, 1, 2))
	}
	nf := b.once("N_float", func() string { return b.node("dims", "N_float", "Cast", []string{b.dimN()}, attrInt("to", 1)) })
	y := b.node(s, "product", "MatMul", []string{grid("a", a), grid("x", x)})
	y = b.node(s, "mean", "Div", []string{y, nf})
	y = b.node(s, "pairs", "Transpose", []string{y}, attrInts("perm", 0, 2, 3, 1))
	return b.node(s, "rows", "Reshape", []string{y, b.shapeOf("rows_shape", -1, b.dimN(), k)})
}

// EdgeLogits implements model.Builder.
func (b *graph) EdgeLogits(x string) string {
	const s = "edge_logits"
	y := b.node(s, "grid", "Reshape", []string{x, b.shapeOf("adj_shape", -1, b.dimN(), b.dimN())})
	_, off, diag := b.eye()
	y = b.node(s, "off_diagonal", "Mul", []string{y, off})
	return b.node(s, "diagonal", "Add", []string{y, diag})
}

// QueryRows implements model.Builder.
func (b *graph) QueryRows(x, qmask string) string {
	const s = "query_rows"
	k := b.dimOf(x, 2)
	y := b.node(s, "grid", "Reshape", []string{x, b.shapeOf("grid_shape", -1, b.dimN(), b.dimN(), k)})
	y = b.node(s, "flat", "Reshape", []string{y, b.ints(intsName("shape", 0, 0, -1), 0, 0, -1)}) // [B,N,N·K]
	y = b.node(s, "select", "MatMul", []string{qmask, y})                                        // [B,Q,N·K]
	return b.node(s, "rows", "Reshape", []string{y, b.shapeOf("rows_shape", -1, b.dimN(), k)})
}

// Effect implements model.Builder.
func (b *graph) Effect(pred, samples, intervened, qmask, qvalue string) string {
	const s = "effect"
	st := b.dataStats(samples, intervened)
	q := b.queryStats(samples, intervened, qmask, qvalue)
	qshape := b.node(s, "query_shape", "Shape", []string{qmask})
	free := b.node(s, "not_queried", "Sub", []string{b.scalar("one", 1), qmask})
	var y string
	if b.cfg.StatsVersion() >= 2 {
		// pred [B·Q,N,2] → (1 − a)·pred0 + a·pred1 [B,Q,N].
		p2 := b.node(s, "pred", "Reshape", []string{pred, b.node("dims", "query_shape_2", "Concat", []string{qshape, b.ints("dim_2", 2)}, attrInt("axis", -1))})
		part := func(c int64) string {
			sl := b.node(s, intsName("pred", c), "Slice", []string{p2, b.ints(intsName("starts", c), c), b.ints(intsName("ends", c+1), c+1), b.axes(3)})
			return b.node(s, intsName("pred_squeeze", c), "Squeeze", []string{sl, b.axes(3)})
		}
		unseen := b.node(s, "unseen_part", "Mul", []string{part(0), b.node(s, "not_matched", "Sub", []string{b.scalar("one", 1), q.any})})
		p := b.node(s, "mixed", "Add", []string{unseen, b.node(s, "seen_part", "Mul", []string{part(1), q.any})})
		y = b.node(s, "scaled", "Mul", []string{b.node(s, "free_sd", "Mul", []string{free, st.sd}), p})
		y = b.node(s, "plus_matched", "Add", []string{y, b.node(s, "free_matched", "Mul", []string{free, q.shift})})
	} else {
		p := b.node(s, "pred", "Reshape", []string{pred, qshape}) // [B,Q,N]
		p = b.node(s, "pred_plus_matched", "Add", []string{p, q.matched})
		y = b.node(s, "scaled", "Mul", []string{b.node(s, "free_sd", "Mul", []string{free, st.sd}), p})
	}
	fixed := b.node(s, "fixed", "Mul", []string{qmask, b.node(s, "value_minus_mean", "Sub", []string{q.v, st.mean})})
	return b.node(s, "effect", "Add", []string{y, fixed})
}
