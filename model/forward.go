package model

import (
	"fmt"
)

// Builder renders the architecture in one backend; T is the backend's
// tensor handle. Forward calls only these methods, so a backend that
// implements each as documented computes exactly causeway's model. The
// three backends are Reference (float64, the specification), package nn's
// gorgonia graph (training) and package export's ONNX graph.
//
// Failures, the same in every backend: a method that is misused (a
// parameter the architecture lacks, operands of the wrong shape, an
// unknown activation) panics with a *BuildError, through Failf; no method
// returns or records an error. Each entry point that renders the
// architecture on a Builder (Reference.Run and RunDataSet, nn's graph
// construction behind Net.Predict and Net.Step, export.Build) defers
// RecoverBuild, which returns the *BuildError (or any other panic while
// rendering, wrapped in one) as the entry point's error. Forward fails the
// same way on an unknown variant; Forward and ForwardDataSet are called
// only from such an entry point.
//
// Shapes: B batch, S samples, N nodes, D = Config.DModel. Parameters are
// looked up by name in the Params/Specs of the Config; "name/weight" of a
// linear layer is [in, out] (x·W), "name/bias" is [out].
type Builder[T any] interface {
	// Features returns the encoder's node features [B,N,6] from base and
	// intv [B,S,N], target and mask [B,N]:
	//   b_mean, b_std, (i_mean−b_mean)/den, i_std/den, (target−b_mean)/den, mask
	// where means are over S, std is the unbiased (S−1) sample standard
	// deviation plus StdEps, den = max(b_std, Config.StdFloor), and every
	// feature is clamped to [−FeatureClip, FeatureClip].
	Features(base, intv, target, mask T) T
	// Linear returns x·W + b over the last axis of a 2-D or 3-D x.
	Linear(x T, name string) T
	// AddPositions adds rows 0..N−1 of the table name [MaxNodes, D] to x [B,N,D].
	AddPositions(x T, name string) T
	// Activate applies act elementwise (GELU is the exact erf form).
	Activate(x T, act Activation) T
	// LayerNorm normalises x over its last axis (biased variance, eps
	// LayerNormEps) and applies name/weight and name/bias.
	LayerNorm(x T, name string) T
	// Attention is PyTorch's MultiheadAttention self-attention on x [B,N,D]:
	// q, k, v = Linear(x, name/{q,k,v}_proj), split into heads of D/heads,
	// scores = q·kᵀ/√(D/heads) (+ bias [B,N,N], shared by all heads, row =
	// query, when hasBias), softmax over keys, dropout on the weights in
	// training, weights·v, heads concatenated, Linear(·, name/out_proj).
	Attention(x T, name string, heads int, bias T, hasBias bool) T
	// Dropout zeroes elements with probability p and scales the rest by
	// 1/(1−p) in training; it is the identity at inference.
	Dropout(x T, p float64) T
	// Add returns a + b for equal shapes.
	Add(a, b T) T
	// Bilinear returns p·cᵀ [B,N,N] for p, c [B,N,D], with contract.DiagLogit on the
	// diagonal (no self-loops).
	Bilinear(p, c T) T
	// StructureBias returns Model D's attention bias [B,N,N] from
	// adj_logits: out[b,i,j] = AttentionBiasScale·(1 − σ(logits[b,j,i])) for
	// i ≠ j and 0 on the diagonal, so node i (the query) attends to its
	// predicted parents j and to itself.
	StructureBias(logits T) T
	// Squeeze drops a trailing axis of size 1: [B,N,1] → [B,N].
	Squeeze(x T) T
	// NodeExperts applies Model B's experts to x [B,N,D] and returns [B,N]:
	// out[b,n] = GELU(x[b,n]·W1[e] + b1[e])·W2[e] + b2[e] with W1 =
	// name/linear1/weight [E,D,H], b1 [E,H], W2 = name/linear2/weight [E,H],
	// b2 [E], where e = n when E = MaxNodes (one expert per node label) and
	// e = 0 when E = 1 (one shared expert, the equivariant option).
	NodeExperts(x T, name string) T
	// MaskedSum returns Σ_n mask[b,n]·x[b,n,:] [B,K] for x [B,N,K], mask [B,N].
	MaskedSum(x, mask T) T
	// MaskedRows returns Σ_n mask[b,n]·table[n,:] [B,K] for the parameter
	// table name [MaxNodes, K] (rows 0..N−1 are used).
	MaskedRows(mask T, name string) T
	// RowDot returns Σ_d x[b,n,d]·w[b,d] [B,N] for x [B,N,D], w [B,D].
	RowDot(x, w T) T
	// PairLogits returns pairwise evidence for the DAG logits [B,N,N]:
	//   out[b,i,j] = w[0]·|Rb[i,j]| + w[1]·|Ri[i,j]| for i ≠ j, 0 on the diagonal,
	// with w = name/weight [2] and Rb, Ri the sample correlations over S of
	// the columns of base and intv: R[i,j] = Σ_s (x_si − m_i)(x_sj − m_j) /
	// (S−1) / (den_i·den_j), den_i = max(sd_i, StdFloor), sd_i the unbiased
	// (S−1) standard deviation (no StdEps). Gradients flow to w only.
	PairLogits(base, intv T, name string) T
	// MeanShift returns the mean-shift baseline mean_S(intv) − target [B,N]
	// for intv [B,S,N] and target [B,N] (no gradient: both are data).
	MeanShift(intv, target T) T

	// Model F (the data-set contract, package contract). Pair tensors are
	// [B·N, N, K]: row (b, i) holds the pairs (i, j) of batch element b, so
	// Linear, LayerNorm and Attention (over j) apply to them unchanged.

	// PairFeatures returns the statistics of every ordered pair [B·N, N,
	// PairFeatureCount] of samples and intervened [B,R,N], as
	// DataStats.PairFeatures specifies (data only: no gradient).
	PairFeatures(samples, intervened T) T
	// QueryFeatures returns the statistics of every query [B·Q, N,
	// QueryFeatureCount] for query_mask [B,Q,N] and query_value [B,Q], as
	// DataStats.QueryFeatures specifies (data only: no gradient).
	QueryFeatures(samples, intervened, qmask, qvalue T) T
	// SwapPairs returns the pair tensor x [B·N, N, K] with its two pair
	// axes exchanged: out[(b,i), j] = x[(b,j), i].
	SwapPairs(x T) T
	// PairProduct returns the triangle product of two pair tensors a and x
	// [B·N, N, K]: out[(b,i), j, c] = Σ_k a[(b,i), k, c]·x[(b,k), j, c] / N,
	// per channel c the matrix product of a's and x's N×N grids, so the pair
	// (i, j) reads every path i → k → j.
	PairProduct(a, x T) T
	// EdgeLogits returns x [B·N, N, 1] as adj_logits [B,N,N] with
	// contract.DiagLogit on the diagonal (gradient 0 there).
	EdgeLogits(x T) T
	// QueryRows returns out[(b,q), j] = Σ_i qmask[b,q,i]·x[(b,i), j] [B·Q,
	// N, K] for x [B·N, N, K] and the data qmask [B,Q,N]: the pair row of
	// each query's variable.
	QueryRows(x, qmask T) T
	// Effect returns effect [B,Q,N] from the head's output pred [B·Q, N,
	// EffectOutputs] as DataStats.Effect specifies: a combination of pred
	// scaled by each variable's SD, plus the matched rows' mean shift, and
	// v − Mean_k exactly at the queried variable.
	Effect(pred, samples, intervened, qmask, qvalue T) T
}

// Forward renders the variant c.Variant on b and returns its two outputs,
// delta [B,N] and adj_logits [B,N,N]. Model C's Gumbel sample is a training
// device applied to adj_logits in the loss, not part of the forward.
func Forward[T any](b Builder[T], c Config, base, intv, target, mask T) (delta, adjLogits T) {
	delta, adjLogits = forward(b, c, base, intv, target, mask)
	if c.MeanShiftSkip {
		delta = b.Add(delta, b.MeanShift(intv, target))
	}
	return delta, adjLogits
}

func forward[T any](b Builder[T], c Config, base, intv, target, mask T) (delta, adjLogits T) {
	x := b.Linear(b.Features(base, intv, target, mask), "encoder/feature_proj")
	if !c.Equivariant {
		x = b.AddPositions(x, "encoder/pos_emb")
	}
	var zero T
	stack := func(x T, prefix string, count int, bias T, hasBias bool) T {
		for i := 0; i < count; i++ {
			x = encoderLayer(b, c, x, fmt.Sprintf("%s%d", prefix, i), bias, hasBias)
		}
		return x
	}
	dag := func(x T) T {
		l := b.Bilinear(b.Linear(x, "dag/parent"), b.Linear(x, "dag/child"))
		if c.PairStats {
			l = b.Add(l, b.PairLogits(base, intv, "dag/pair"))
		}
		return l
	}
	switch c.Variant {
	case VariantA, VariantC:
		x = stack(x, "layer", c.Layers, zero, false)
		h := b.Activate(b.Linear(x, "delta_head/linear1"), GELU)
		return b.Squeeze(b.Linear(h, "delta_head/linear2")), dag(x)
	case VariantB:
		x = stack(x, "layer", c.Layers, zero, false)
		return b.NodeExperts(x, "experts"), dag(x)
	case VariantD:
		s := stack(x, "struct_layer", c.StructLayers, zero, false)
		adjLogits = dag(s)
		h := stack(x, "delta_layer", c.Layers, b.StructureBias(adjLogits), true)
		return b.Squeeze(b.Linear(h, "delta_head")), adjLogits
	case VariantE:
		x = stack(x, "layer", c.Layers, zero, false)
		var instr T
		if c.Equivariant {
			instr = b.Linear(b.MaskedSum(x, mask), "hyper/instr_proj")
		} else {
			instr = b.MaskedRows(mask, "hyper/int_embedding")
		}
		w := b.Linear(b.Activate(b.Linear(instr, "hyper/linear1"), GELU), "hyper/linear2")
		return b.RowDot(x, w), dag(x)
	}
	Failf("model.Forward: unknown variant %q", c.Variant)
	return zero, zero
}

// encoderLayer is PyTorch's post-LN TransformerEncoderLayer:
//
//	x = norm1(x + dropout(attn(x)))
//	x = norm2(x + dropout(linear2(dropout(act(linear1(x))))))
func encoderLayer[T any](b Builder[T], c Config, x T, name string, bias T, hasBias bool) T {
	a := b.Attention(x, name+"/attn", c.Heads, bias, hasBias)
	x = b.LayerNorm(b.Add(x, b.Dropout(a, c.Dropout)), name+"/norm1")
	f := b.Dropout(b.Activate(b.Linear(x, name+"/ff/linear1"), c.Activation), c.Dropout)
	f = b.Linear(f, name+"/ff/linear2")
	return b.LayerNorm(b.Add(x, b.Dropout(f, c.Dropout)), name+"/norm2")
}
