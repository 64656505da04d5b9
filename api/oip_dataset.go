package api

import (
	"fmt"
	"math"
	"slices"

	"causeway/contract"
	"causeway/onnxrt"
)

// DataSet checks an infer request against the data-set contract (model F:
// samples and intervened [B,R,N], query_mask [B,Q,N], query_value [B,Q])
// and m, and returns it as a contract.DataSet; outputs are the names to
// return (the requested ones, or both).
func (r *InferRequest) DataSet(m *onnxrt.Model) (*contract.DataSet, []string, error) {
	names := contract.DataSetInputs
	if len(r.Inputs) == 0 {
		return nil, nil, fieldErr("inputs", "missing: send the four FP32 tensors samples [B,R,N], intervened [B,R,N], query_mask [B,Q,N] and query_value [B,Q]")
	}
	var idx [4]int
	for i, t := range r.Inputs {
		k := slices.Index(names, t.Name)
		if k < 0 {
			return nil, nil, fieldErr(fmt.Sprintf("inputs[%d].name", i), "unknown input %q (the data-set model takes samples, intervened, query_mask and query_value)", t.Name)
		}
		if idx[k] != 0 {
			return nil, nil, fieldErr(fmt.Sprintf("inputs[%d].name", i), "%s repeats inputs[%d]", t.Name, idx[k]-1)
		}
		idx[k] = i + 1
		if t.Datatype != "FP32" {
			return nil, nil, fieldErr(fmt.Sprintf("inputs[%d].datatype", i), "%s is %q; the model takes FP32", t.Name, t.Datatype)
		}
	}
	for k, i := range idx {
		if i == 0 {
			return nil, nil, fieldErr("inputs", "missing %s (FP32)", names[k])
		}
	}
	samples, qmask := r.Inputs[idx[0]-1], r.Inputs[idx[2]-1]
	if len(samples.Shape) != 3 || len(qmask.Shape) != 3 {
		return nil, nil, fieldErr("inputs", "samples has shape %v and query_mask %v; want [B,R,N] and [B,Q,N]", samples.Shape, qmask.Shape)
	}
	b, rows, n, q := samples.Shape[0], samples.Shape[1], samples.Shape[2], qmask.Shape[1]
	sf := fmt.Sprintf("inputs[%d].shape", idx[0]-1)
	switch {
	case b < 1 || rows < 2 || n < 2:
		return nil, nil, fieldErr(sf, "samples has shape %v; want B ≥ 1, R ≥ 2 rows, N ≥ 2 variables", samples.Shape)
	case n > m.MaxNodes():
		return nil, nil, fieldErr(sf, "samples has N=%d variables; model %s supports at most max_nodes=%d", n, m.Name(), m.MaxNodes())
	case q < 1:
		return nil, nil, fieldErr(fmt.Sprintf("inputs[%d].shape", idx[2]-1), "query_mask has Q=%d queries; want at least 1", q)
	case b > math.MaxInt32/rows/n || b > math.MaxInt32/q/n:
		return nil, nil, fieldErr(sf, "shapes %v and %v are too large", samples.Shape, qmask.Shape)
	}
	wants := [4][]int{{b, rows, n}, {b, rows, n}, {b, q, n}, {b, q}}
	d := &contract.DataSet{B: b, R: rows, N: n, Q: q}
	dst := [4]*[]float32{&d.Samples, &d.Intervened, &d.QueryMask, &d.QueryValue}
	for k, i := range idx {
		t := r.Inputs[i-1]
		if !slices.Equal(t.Shape, wants[k]) {
			return nil, nil, fieldErr(fmt.Sprintf("inputs[%d].shape", i-1), "%s has shape %v; want %v (from samples %v and query_mask %v)",
				t.Name, t.Shape, wants[k], samples.Shape, qmask.Shape)
		}
		size := 1
		for _, v := range wants[k] {
			size *= v
		}
		if t.binary != nil {
			if len(t.binary) != size {
				return nil, nil, fieldErr(fmt.Sprintf("inputs[%d].parameters.binary_data_size", i-1), "%s has %d FP32 values of binary data; its shape %v holds %d", t.Name, len(t.binary), t.Shape, size)
			}
			*dst[k] = t.binary
			continue
		}
		if len(t.Data) != size {
			return nil, nil, fieldErr(fmt.Sprintf("inputs[%d].data", i-1), "%s has %d values; its shape %v holds %d", t.Name, len(t.Data), t.Shape, size)
		}
		out := make([]float32, size)
		for j, v := range t.Data {
			if math.IsNaN(v) || math.Abs(v) > math.MaxFloat32 {
				return nil, nil, fieldErr(fmt.Sprintf("inputs[%d].data[%d]", i-1, j), "%s element %d is %g, not a finite float32", t.Name, j, v)
			}
			out[j] = float32(v)
		}
		*dst[k] = out
	}
	if err := d.Check(m.MaxNodes()); err != nil {
		return nil, nil, fieldErr("inputs", "%s", err.Error())
	}
	var outputs []string
	for i, o := range r.Outputs {
		if !slices.Contains(contract.DataSetOutputs, o.Name) {
			return nil, nil, fieldErr(fmt.Sprintf("outputs[%d].name", i), "unknown output %q (the model gives adj_logits and effect)", o.Name)
		}
		if slices.Contains(outputs, o.Name) {
			return nil, nil, fieldErr(fmt.Sprintf("outputs[%d].name", i), "%s is requested twice", o.Name)
		}
		outputs = append(outputs, o.Name)
	}
	if len(outputs) == 0 {
		outputs = contract.DataSetOutputs
	}
	return d, outputs, nil
}
