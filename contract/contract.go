// Package contract is the one home of causeway's tensor contracts: the names,
// shapes and meaning of every model input and output, shared by training,
// ONNX export, the executor and the REST API, with the batch types that
// carry them and their checks. Tensors are row-major float32.
//
// # Sample-pair models (Models A–E)
//
// A sample-pair model reads one observational sample set and one set under
// a single hard intervention:
//
//	name          shape      meaning
//	base_samples  [B,S,N]    observational samples
//	int_samples   [B,S,N]    samples under one hard intervention
//	target_row    [B,N]      the row whose shift is predicted
//	int_mask      [B,N]      1 at the intervened node, else 0
//	delta         [B,N]      out: predicted intervened_row − target_row
//	adj_logits    [B,N,N]    out: edge logits, [i][j] is the edge i → j
//	                         (parent row, child column, as networkx's to_numpy_array)
//
// B, S and N are dynamic; S ≥ 2 (a standard deviation needs two samples).
// Model E derives its intervention index from int_mask inside the graph.
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
// B, R, N and Q are dynamic; R ≥ 2 and Q ≥ 1. Any number of regimes, rows with several
// targets and observational-only data (no 1 in intervened) are valid input.
// The diagonal of adj_logits is DiagLogit (no self-loops); the effect on the
// queried variable itself is v minus its observational mean, exactly.
package contract

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Tensor names of the sample-pair contract.
const (
	BaseSamples = "base_samples" // [B,S,N] observational samples
	IntSamples  = "int_samples"  // [B,S,N] samples under one hard intervention
	TargetRow   = "target_row"   // [B,N] the row whose shift is predicted
	IntMask     = "int_mask"     // [B,N] 1 at the intervened node, else 0
	Delta       = "delta"        // [B,N] predicted intervened_row − target_row
)

// PairInputs and PairOutputs list the sample-pair contract's tensors in
// order (adj_logits is shared by both contracts).
var (
	PairInputs  = []string{BaseSamples, IntSamples, TargetRow, IntMask}
	PairOutputs = []string{Delta, AdjLogits}
)

// Pairs is one batch of the sample-pair contract: Base and Int are
// [B,S,N], Target and Mask [B,N].
type Pairs struct {
	B, S, N                 int
	Base, Int, Target, Mask []float32
}

// Check reports the first inconsistency of p: B ≥ 1, S ≥ 2, 1 ≤ N ≤
// maxNodes (when maxNodes > 0), slice lengths matching the shapes, and
// finite values.
func (p *Pairs) Check(maxNodes int) error {
	switch {
	case p.B < 1:
		return fmt.Errorf("batch size %d: need at least 1", p.B)
	case p.S < 2:
		return fmt.Errorf("%d samples per batch element: need at least 2 for a standard deviation", p.S)
	case p.N < 1:
		return fmt.Errorf("%d nodes: need at least 1", p.N)
	case maxNodes > 0 && p.N > maxNodes:
		return fmt.Errorf("%d nodes: the model supports at most max_nodes=%d", p.N, maxNodes)
	}
	bsn, bn := p.B*p.S*p.N, p.B*p.N
	for k, x := range [4][]float32{p.Base, p.Int, p.Target, p.Mask} {
		want := bsn
		if k >= 2 {
			want = bn
		}
		if len(x) != want {
			return fmt.Errorf("%s has %d values, shape %s = %s wants %d", PairInputs[k], len(x), pairShapes[k], p.shape(k), want)
		}
		if i := nonFinite(x); i >= 0 {
			return fmt.Errorf("%s%s is %v: inputs must be finite", PairInputs[k], Index(i, p.dims(k)), x[i])
		}
	}
	return nil
}

// dims returns the shape of input k of PairInputs.
func (p *Pairs) dims(k int) []int {
	if k < 2 {
		return []int{p.B, p.S, p.N}
	}
	return []int{p.B, p.N}
}

// shape formats the shape of input k as "[2,5,4]".
func (p *Pairs) shape(k int) string {
	d := p.dims(k)
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = strconv.Itoa(v)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

var pairShapes = []string{"[B,S,N]", "[B,S,N]", "[B,N]", "[B,N]"}

// Index formats the flat position i of a row-major tensor of the given
// shape as "[a,b,c]".
func Index(i int, shape []int) string {
	idx := make([]string, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = strconv.Itoa(i % shape[d])
		i /= shape[d]
	}
	return "[" + strings.Join(idx, ",") + "]"
}

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
	// QueryMask is [B,Q,N], QueryValue [B,Q]; Q ≥ 1.
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
	case d.Q < 1:
		return fmt.Errorf("%d queries: ask for at least one intervention's effect", d.Q)
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

// Spec describes one tensor of a contract, as exported models record it in
// their metadata.
type Spec struct {
	Name string `json:"name"`
	// DType is the element type ("float32").
	DType string `json:"dtype"`
	// Shape names each dimension ("B", "S", "N", "R", "Q"), all dynamic.
	Shape []string `json:"shape"`
	// Doc says what the tensor means.
	Doc string `json:"doc"`
}

// PairSpecs returns the sample-pair contract's inputs and outputs, in order.
func PairSpecs() (inputs, outputs []Spec) {
	bsn, bn, bnn := []string{"B", "S", "N"}, []string{"B", "N"}, []string{"B", "N", "N"}
	inputs = []Spec{
		{BaseSamples, "float32", bsn, "observational samples"},
		{IntSamples, "float32", bsn, "samples under one hard intervention"},
		{TargetRow, "float32", bn, "the row whose shift is predicted"},
		{IntMask, "float32", bn, "1 at the intervened node, else 0"},
	}
	outputs = []Spec{
		{Delta, "float32", bn, "predicted intervened_row - target_row"},
		{AdjLogits, "float32", bnn, fmt.Sprintf("edge logits; [b][i][j] is the edge i -> j (parent row, child column); the diagonal holds %g (no self-loops)", float64(DiagLogit))},
	}
	return inputs, outputs
}

// DataSetSpecs returns the data-set contract's inputs and outputs, in order.
func DataSetSpecs() (inputs, outputs []Spec) {
	brn, bqn, bq, bnn := []string{"B", "R", "N"}, []string{"B", "Q", "N"}, []string{"B", "Q"}, []string{"B", "N", "N"}
	inputs = []Spec{
		{Samples, "float32", brn, "every row of the data set, observational and interventional"},
		{Intervened, "float32", brn, "1 where that row's variable was set by a hard intervention; an all-zero row is observational"},
		{QueryMask, "float32", bqn, "one-hot: the variable of each queried intervention"},
		{QueryValue, "float32", bq, "the value of each queried intervention"},
	}
	outputs = []Spec{
		{AdjLogits, "float32", bnn, fmt.Sprintf("edge logits from all rows jointly; [b][i][j] is the edge i -> j; the diagonal holds %g", float64(DiagLogit))},
		{Effect, "float32", bqn, "predicted E[X | do(X_k = v)] - E[X]: the shift of every variable's mean from its observational mean"},
	}
	return inputs, outputs
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
