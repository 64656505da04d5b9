// Package contract is the one home of causeway's tensor contracts: the names,
// shapes and meaning of every model input and output, shared by training,
// ONNX export, the executor and the REST API.
//
// # Data-set models (Model F)
//
// A data-set model reads a whole data set, every regime jointly:
//
//	name          shape      meaning
//	samples       [B,R,N]    every row of the data set, observational and interventional
//	intervened    [B,R,N]    1 where that row's variable was set by a hard intervention
//	                         (an all-zero row is observational)
//	query_mask    [B,Q,N]    one-hot: the variable of each queried intervention
//	query_value   [B,Q]      the value of each queried intervention
//	adj_logits    [B,N,N]    out: edge logits from all rows jointly, [i][j] is i → j
//	effect        [B,Q,N]    out: predicted E[X | do(X_k = v)] − E[X], the shift of
//	                         every variable's mean from its observational mean
//
// B, R, N and Q are dynamic. Any number of regimes, rows with several
// targets and observational-only data (no 1 in intervened) are valid input.
// The diagonal of adj_logits is DiagLogit (no self-loops); the effect on the
// queried variable itself is v minus its observational mean, exactly.
package contract

import (
	"fmt"
	"math"
)

// Tensor names of the data-set contract.
const (
	Samples    = "samples"     // [B,R,N] every row of the data set
	Intervened = "intervened"  // [B,R,N] 1 where the row's variable was set by do()
	QueryMask  = "query_mask"  // [B,Q,N] one-hot variable of each queried intervention
	QueryValue = "query_value" // [B,Q] value of each queried intervention
	AdjLogits  = "adj_logits"  // [B,N,N] edge logits, [i][j] is i → j
	Effect     = "effect"      // [B,Q,N] predicted E[X | do(X_k=v)] − E[X]
)

// DataSetInputs and DataSetOutputs list the data-set contract's tensors in order.
var (
	DataSetInputs  = []string{Samples, Intervened, QueryMask, QueryValue}
	DataSetOutputs = []string{AdjLogits, Effect}
)

// DiagLogit is the logit written on the diagonal of adj_logits: no
// self-loops, sigmoid(DiagLogit) == 0 in float32.
const DiagLogit = -1e4

// DataSet is one batch of the data-set contract, row-major float32.
type DataSet struct {
	B, R, N, Q int
	// Samples and Intervened are [B,R,N].
	Samples, Intervened []float32
	// QueryMask is [B,Q,N], QueryValue [B,Q]. Q may be 0 (no queries).
	QueryMask, QueryValue []float32
}

// Check reports the first inconsistency of d: sizes that do not match the
// dimensions, an N above maxNodes, fewer than 2 rows, non-finite values,
// intervened or query_mask values other than 0 and 1, or a query row that is
// not one-hot.
func (d *DataSet) Check(maxNodes int) error {
	switch {
	case d.B < 1:
		return fmt.Errorf("batch size %d: must be at least 1", d.B)
	case d.N < 2:
		return fmt.Errorf("%d variables: a graph needs at least 2", d.N)
	case maxNodes > 0 && d.N > maxNodes:
		return fmt.Errorf("%d variables: the model takes at most max_nodes = %d", d.N, maxNodes)
	case d.R < 2:
		return fmt.Errorf("%d rows: the statistics need at least 2", d.R)
	case d.Q < 0:
		return fmt.Errorf("%d queries: must be ≥ 0", d.Q)
	}
	for _, w := range []struct {
		name      string
		got, want int
	}{
		{Samples, len(d.Samples), d.B * d.R * d.N},
		{Intervened, len(d.Intervened), d.B * d.R * d.N},
		{QueryMask, len(d.QueryMask), d.B * d.Q * d.N},
		{QueryValue, len(d.QueryValue), d.B * d.Q},
	} {
		if w.got != w.want {
			return fmt.Errorf("%s has %d values, B=%d R=%d N=%d Q=%d wants %d", w.name, w.got, d.B, d.R, d.N, d.Q, w.want)
		}
	}
	if i := nonFinite(d.Samples); i >= 0 {
		return fmt.Errorf("%s[%d] is %v: every sample must be finite", Samples, i, d.Samples[i])
	}
	if i := nonFinite(d.QueryValue); i >= 0 {
		return fmt.Errorf("%s[%d] is %v: every query value must be finite", QueryValue, i, d.QueryValue[i])
	}
	for i, v := range d.Intervened {
		if v != 0 && v != 1 {
			return fmt.Errorf("%s[%d] is %v: want 0 or 1", Intervened, i, v)
		}
	}
	for q := range d.B * d.Q {
		row, ones := d.QueryMask[q*d.N:(q+1)*d.N], 0
		for _, v := range row {
			switch v {
			case 1:
				ones++
			case 0:
			default:
				return fmt.Errorf("%s row %d holds %v: want a one-hot row of 0 and 1", QueryMask, q, v)
			}
		}
		if ones != 1 {
			return fmt.Errorf("%s row %d has %d ones: each query intervenes on exactly one variable", QueryMask, q, ones)
		}
	}
	return nil
}

// nonFinite returns the index of the first NaN or ±Inf in v, or −1.
func nonFinite(v []float32) int {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return i
		}
	}
	return -1
}
