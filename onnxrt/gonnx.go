package onnxrt

import (
	"fmt"

	"causeway/contract"

	"github.com/advancedclimatesystems/gonnx"
	"github.com/advancedclimatesystems/gonnx/onnx"
	"github.com/advancedclimatesystems/gonnx/ops"
	"github.com/advancedclimatesystems/gonnx/ops/opset13"
	gt "gorgonia.org/tensor"
)

// gonnxReplaced are the operators OpGetter serves with this package's
// kernels, with their input counts: the four gonnx v1.1.0 lacks, and two it
// gets wrong on causeway exports (its Slice turns a one-element result into
// a rank-0 tensor, which Concat then rejects; gorgonia's SoftMax does not
// subtract the row maximum, so attention scores above ~88 overflow to NaN).
var gonnxReplaced = map[string][2]int{
	"Clip":       {1, 3},
	"Erf":        {1, 1},
	"ReduceMean": {1, 1},
	"Sqrt":       {1, 1},
	"Slice":      {3, 5},
	"Softmax":    {1, 1},
}

// OpGetter returns gonnx's opset-13 operators plus the ones causeway
// exports need and gonnx v1.1.0 lacks (Clip, Erf, ReduceMean, Sqrt),
// implemented with this package's kernels, which also replace gonnx's
// Slice and Softmax (see the package documentation). Set it as a
// gonnx.Model's GetOperator.
func OpGetter() gonnx.OpGetter {
	return func(op string) (ops.Operator, error) {
		if io, ok := gonnxReplaced[op]; ok {
			return &gonnxOp{op: op, minIn: io[0], maxIn: io[1]}, nil
		}
		return opset13.GetOperator(op)
	}
}

// LoadGonnx parses an exported model with gonnx and registers OpGetter: the
// generic gonnx path. It is much slower than Model.Run (gonnx initialises
// every operator on every run and copies tensors between them) and serves
// as an independent cross-check of the executor.
func LoadGonnx(b []byte) (*gonnx.Model, error) {
	g, err := gonnx.NewModelFromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("onnxrt: gonnx: %w", err)
	}
	g.GetOperator = OpGetter()
	return g, nil
}

// RunGonnx runs one batch through a model from LoadGonnx. It checks the
// slice lengths against the shapes but not the model's limits.
func RunGonnx(g *gonnx.Model, in contract.Pairs) (Outputs, error) {
	b, s, n := in.B, in.S, in.N
	for _, x := range []struct {
		name string
		got  int
		want int
	}{
		{contract.BaseSamples, len(in.Base), b * s * n}, {contract.IntSamples, len(in.Int), b * s * n},
		{contract.TargetRow, len(in.Target), b * n}, {contract.IntMask, len(in.Mask), b * n},
	} {
		if x.got != x.want || x.want == 0 {
			return Outputs{}, fmt.Errorf("onnxrt: gonnx: %s has %d values for B=%d S=%d N=%d", x.name, x.got, b, s, n)
		}
	}
	feed := func(v []float32, shape ...int) gt.Tensor {
		return gt.New(gt.WithShape(shape...), gt.WithBacking(append([]float32(nil), v...)))
	}
	res, err := g.Run(gonnx.Tensors{
		contract.BaseSamples: feed(in.Base, b, s, n),
		contract.IntSamples:  feed(in.Int, b, s, n),
		contract.TargetRow:   feed(in.Target, b, n),
		contract.IntMask:     feed(in.Mask, b, n),
	})
	if err != nil {
		return Outputs{}, fmt.Errorf("onnxrt: gonnx: %w", err)
	}
	get := func(name string, size int) ([]float32, error) {
		t, ok := res[name]
		if !ok || t == nil {
			return nil, fmt.Errorf("onnxrt: gonnx: no output %s", name)
		}
		v, err := fromGorgonia(t)
		if err != nil || v.dtype != dtFloat || len(v.f) != size {
			return nil, fmt.Errorf("onnxrt: gonnx: output %s has shape %v, want %d values", name, t.Shape(), size)
		}
		return append([]float32(nil), v.f...), nil
	}
	var out Outputs
	if out.Delta, err = get(contract.Delta, b*n); err != nil {
		return Outputs{}, err
	}
	if out.AdjLogits, err = get(contract.AdjLogits, b*n*n); err != nil {
		return Outputs{}, err
	}
	return out, nil
}

// gonnxOp adapts one of this package's kernels to gonnx's ops.Operator.
type gonnxOp struct {
	op           string
	minIn, maxIn int
	k            kernel
}

func (o *gonnxOp) String() string { return o.op + " operator (causeway onnxrt)" }

func (o *gonnxOp) Init(n *onnx.NodeProto) error {
	attrs := map[string]*onnx.AttributeProto{}
	for _, a := range n.GetAttribute() {
		attrs[a.GetName()] = a
	}
	k, err := genericKernel(&irNode{name: n.GetName(), op: o.op, attrs: attrs})
	if err != nil {
		return fmt.Errorf("%s %s: %w", o.op, n.GetName(), err)
	}
	o.k = k
	return nil
}

func (o *gonnxOp) GetMinInputs() int { return o.minIn }

func (o *gonnxOp) GetMaxInputs() int { return o.maxIn }

func (o *gonnxOp) GetInputTypeConstraints() [][]gt.Dtype {
	c := make([][]gt.Dtype, o.maxIn)
	for i := range c {
		c[i] = []gt.Dtype{gt.Float32, gt.Int64}
	}
	return c
}

func (o *gonnxOp) ValidateInputs(in []gt.Tensor) ([]gt.Tensor, error) {
	return ops.ValidateInputs(o, in)
}

func (o *gonnxOp) Apply(in []gt.Tensor) ([]gt.Tensor, error) {
	s := &state{vals: make([]tensor, len(in)+1)}
	n := &node{name: o.op, op: o.op, out: []int{len(in)}}
	for i, t := range in {
		if t == nil {
			n.in = append(n.in, -1)
			continue
		}
		v, err := fromGorgonia(t)
		if err != nil {
			return nil, err
		}
		s.vals[i] = v
		n.in = append(n.in, i)
	}
	if err := o.k.run(s, n); err != nil {
		return nil, fmt.Errorf("%s: %w", o.op, err)
	}
	out := s.vals[len(in)]
	shape := out.shape
	if len(shape) == 0 {
		shape = []int{1} // gonnx keeps scalars as one-element vectors
	}
	if out.dtype == dtInt64 {
		return []gt.Tensor{gt.New(gt.WithShape(shape...), gt.WithBacking(append([]int64(nil), out.i...)))}, nil
	}
	return []gt.Tensor{gt.New(gt.WithShape(shape...), gt.WithBacking(append([]float32(nil), out.f...)))}, nil
}

// fromGorgonia views a float32 or int64 gorgonia tensor as a tensor.
func fromGorgonia(t gt.Tensor) (tensor, error) {
	shape := append([]int(nil), t.Shape()...)
	if len(shape) == 1 && shape[0] == 1 && t.Dims() == 0 {
		shape = nil
	}
	switch d := t.Data().(type) {
	case []float32:
		return tensor{dtype: dtFloat, shape: shape, f: d}, nil
	case float32:
		return tensor{dtype: dtFloat, shape: nil, f: []float32{d}}, nil
	case []int64:
		return tensor{dtype: dtInt64, shape: shape, i: d}, nil
	case int64:
		return tensor{dtype: dtInt64, shape: nil, i: []int64{d}}, nil
	}
	return tensor{}, fmt.Errorf("tensor of %v: want float32 or int64", t.Dtype())
}
