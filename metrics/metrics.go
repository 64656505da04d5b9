// Package metrics scores predicted causal graphs and interventional shifts
// against the truth, for one graph and aggregated over many, next to the two
// baselines every result must beat: the empty graph and the mean shift.
//
// Adjacency matrices are n×n, row-major, with [i][j] (index i*n+j) the edge
// i -> j; the diagonal is never an edge and is ignored everywhere. Predicted
// edges are probabilities σ(adj_logits); an edge is predicted where the
// probability exceeds EdgeThreshold (0.5, i.e. a positive logit).
//
// The structure metrics are the structural Hamming distance (SHD, counting a
// reversed edge once), the area under the ROC curve (AUROC), the average
// precision (AUPRC) and precision, recall and F1 at the threshold. The delta
// metrics are the mean squared error and the mean Huber loss, reported under
// their own names (the notebook printed the Huber loss as "Delta MSE").
//
// Functions that take slices panic if their lengths do not agree, like gonum;
// Accumulator.Add checks its input and returns errors instead.
package metrics

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// Float is the element type of scores, probabilities and deltas.
type Float interface{ ~float32 | ~float64 }

// EdgeThreshold is the probability above which an edge counts as predicted.
const EdgeThreshold = 0.5

// HuberDelta is the Huber loss parameter δ used by Accumulator (PyTorch's
// default).
const HuberDelta = 1.0

// Threshold returns which probabilities exceed t (strictly).
func Threshold[T Float](probs []T, t float64) []bool {
	out := make([]bool, len(probs))
	for i, p := range probs {
		out[i] = float64(p) > t
	}
	return out
}

// OffDiagonal returns the n*(n-1) off-diagonal entries of the n×n row-major
// matrix m, in row-major order. It panics if len(m) != n*n.
func OffDiagonal[T any](m []T, n int) []T {
	checkSquare("OffDiagonal", len(m), n)
	out := make([]T, 0, n*(n-1))
	for i := range n {
		for j := range n {
			if i != j {
				out = append(out, m[i*n+j])
			}
		}
	}
	return out
}

func checkSquare(fn string, length, n int) {
	if n < 0 || length != n*n {
		panic(fmt.Sprintf("metrics.%s: matrix has %d entries, want n*n = %d*%d", fn, length, n, n))
	}
}

func checkSameLen(fn string, a, b int) {
	if a != b {
		panic(fmt.Sprintf("metrics.%s: lengths differ: %d and %d", fn, a, b))
	}
}

// SHD returns the structural Hamming distance between the predicted and the
// true n×n adjacency matrices: the number of unordered node pairs {i, j}
// whose edges differ. A missing edge, an extra edge and a reversed edge each
// count 1 (as cdt.metrics.SHD with double_for_anticausal=False). The
// diagonal is ignored. It panics if either matrix does not have n*n entries.
//
// For probabilities, threshold first: SHD(Threshold(probs, EdgeThreshold),
// truth, n).
func SHD(pred, truth []bool, n int) int {
	checkSquare("SHD", len(pred), n)
	checkSquare("SHD", len(truth), n)
	d := 0
	for i := range n {
		for j := i + 1; j < n; j++ {
			if pred[i*n+j] != truth[i*n+j] || pred[j*n+i] != truth[j*n+i] {
				d++
			}
		}
	}
	return d
}

// scored is one score with its label.
type scored struct {
	s   float64
	pos bool
}

func pairs[T Float](fn string, scores []T, labels []bool) (ps []scored, npos int) {
	checkSameLen(fn, len(scores), len(labels))
	ps = make([]scored, len(scores))
	for i, s := range scores {
		ps[i] = scored{float64(s), labels[i]}
		if labels[i] {
			npos++
		}
	}
	return ps, npos
}

// AUROC returns the area under the ROC curve of scores against labels: the
// probability that a random positive scores higher than a random negative,
// with ties counting one half (the Mann–Whitney statistic with average ranks,
// equal to sklearn's roc_auc_score). If labels are all true or all false the
// area is undefined and AUROC returns NaN, false. Scores must not be NaN. It
// panics if the lengths differ.
//
// Constant scores (the empty-graph baseline) give exactly 0.5.
func AUROC[T Float](scores []T, labels []bool) (auc float64, ok bool) {
	ps, npos := pairs("AUROC", scores, labels)
	return auroc(ps, npos)
}

func auroc(ps []scored, npos int) (float64, bool) {
	nneg := len(ps) - npos
	if npos == 0 || nneg == 0 {
		return math.NaN(), false
	}
	slices.SortFunc(ps, func(a, b scored) int { return cmp.Compare(a.s, b.s) })
	// Sum of the (1-based, tie-averaged) ranks of the positives.
	var rankSum float64
	for i := 0; i < len(ps); {
		j := i
		pos := 0
		for ; j < len(ps) && ps[j].s == ps[i].s; j++ {
			if ps[j].pos {
				pos++
			}
		}
		rankSum += float64(pos) * float64(i+1+j) / 2
		i = j
	}
	u := rankSum - float64(npos)*float64(npos+1)/2
	return u / (float64(npos) * float64(nneg)), true
}

// AUPRC returns the average precision of scores against labels, the
// step-wise area under the precision–recall curve as sklearn's
// average_precision_score computes it: the sum over distinct score
// thresholds, from high to low, of (R_k − R_{k−1})·P_k, with tied scores
// entering together. If no label is true it is undefined and AUPRC returns
// NaN, false. Scores must not be NaN. It panics if the lengths differ.
//
// Constant scores (the empty-graph baseline) give the fraction of positives.
func AUPRC[T Float](scores []T, labels []bool) (ap float64, ok bool) {
	ps, npos := pairs("AUPRC", scores, labels)
	return auprc(ps, npos)
}

func auprc(ps []scored, npos int) (float64, bool) {
	if npos == 0 {
		return math.NaN(), false
	}
	slices.SortFunc(ps, func(a, b scored) int { return cmp.Compare(b.s, a.s) })
	var ap, prevRecall float64
	tp, fp := 0, 0
	for i := 0; i < len(ps); {
		j := i
		for ; j < len(ps) && ps[j].s == ps[i].s; j++ {
			if ps[j].pos {
				tp++
			} else {
				fp++
			}
		}
		recall := float64(tp) / float64(npos)
		ap += (recall - prevRecall) * float64(tp) / float64(tp+fp)
		prevRecall = recall
		i = j
	}
	return ap, true
}

// F1 returns precision, recall and their harmonic mean F1 when the scores
// above threshold (strictly) are predicted positive. A ratio with a zero
// denominator is 0 (sklearn's zero_division=0): precision when nothing is
// predicted positive, recall when no label is true, F1 when both precision
// and recall are 0. It panics if the lengths differ.
func F1[T Float](scores []T, labels []bool, threshold float64) (precision, recall, f1 float64) {
	checkSameLen("F1", len(scores), len(labels))
	var c confusion
	for i, s := range scores {
		c.add(float64(s) > threshold, labels[i])
	}
	return c.prf()
}

// confusion counts true positives, false positives and false negatives.
type confusion struct{ tp, fp, fn int }

func (c *confusion) add(pred, truth bool) {
	switch {
	case pred && truth:
		c.tp++
	case pred:
		c.fp++
	case truth:
		c.fn++
	}
}

func (c confusion) prf() (precision, recall, f1 float64) {
	precision = ratio(c.tp, c.tp+c.fp)
	recall = ratio(c.tp, c.tp+c.fn)
	if precision+recall > 0 {
		f1 = 2 * precision * recall / (precision + recall)
	}
	return precision, recall, f1
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// MSE returns the mean squared difference between pred and truth, NaN for
// empty slices. It panics if the lengths differ.
func MSE[T Float](pred, truth []T) float64 {
	checkSameLen("MSE", len(pred), len(truth))
	var s float64
	for i := range pred {
		d := float64(pred[i]) - float64(truth[i])
		s += d * d
	}
	return s / float64(len(pred))
}

// Huber returns the mean Huber loss between pred and truth with parameter
// delta > 0, as PyTorch's huber_loss: for x = pred − truth, 0.5·x² where
// |x| < delta and delta·(|x| − 0.5·delta) elsewhere. The result is NaN for
// empty slices. It panics if the lengths differ.
func Huber[T Float](pred, truth []T, delta float64) float64 {
	checkSameLen("Huber", len(pred), len(truth))
	var s float64
	for i := range pred {
		s += huber(float64(pred[i])-float64(truth[i]), delta)
	}
	return s / float64(len(pred))
}

func huber(x, delta float64) float64 {
	a := math.Abs(x)
	if a < delta {
		return 0.5 * x * x
	}
	return delta * (a - 0.5*delta)
}

// MeanShift returns the mean-shift baseline for the delta: for each of the n
// variables, the mean of its interventional samples minus its value in the
// target row. intSamples holds S samples of n variables, row-major (S*n
// values), targetRow n values. The delta target is not counterfactual (the
// intervened row has fresh noise), so this baseline is close to the best
// possible prediction. It panics if targetRow does not have n values or
// intSamples is not a positive multiple of n.
func MeanShift[T Float](intSamples, targetRow []T, n int) []T {
	if n <= 0 || len(targetRow) != n || len(intSamples) == 0 || len(intSamples)%n != 0 {
		panic(fmt.Sprintf("metrics.MeanShift: %d samples and %d target values do not fit n = %d", len(intSamples), len(targetRow), n))
	}
	s := len(intSamples) / n
	sum := make([]float64, n)
	for k := range s {
		for j, v := range intSamples[k*n : (k+1)*n] {
			sum[j] += float64(v)
		}
	}
	out := make([]T, n)
	for j := range n {
		out[j] = T(sum[j]/float64(s) - float64(targetRow[j]))
	}
	return out
}
