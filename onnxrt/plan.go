package onnxrt

import (
	"fmt"
	"sort"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// supportedOps are the ONNX operators (default domain, opset 13) the
// executor runs: exactly export.Ops().
var supportedOps = map[string]bool{
	"Add": true, "Cast": true, "Clip": true, "Concat": true, "Div": true, "Erf": true, "Log": true,
	"MatMul": true, "Mul": true, "ReduceMean": true, "Relu": true, "Reshape": true,
	"Shape": true, "Sigmoid": true, "Slice": true, "Softmax": true, "Sqrt": true,
	"Squeeze": true, "Sub": true, "Transpose": true, "Unsqueeze": true,
}

// SupportedOps returns, sorted, the ONNX operators (default domain, opset
// 13) that the executor runs.
func SupportedOps() []string {
	out := make([]string, 0, len(supportedOps))
	for op := range supportedOps {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// irNode is a node of the graph while the plan is built: an ONNX node, or
// a fused node whose kernel is already set.
type irNode struct {
	name, op string
	in, out  []string
	attrs    map[string]*onnx.AttributeProto
	k        kernel // set for fused nodes
	dead     bool
}

// node is one step of a plan.
type node struct {
	name, op string
	in, out  []int // value slots; -1 for an absent optional input
	k        kernel
	// release lists the slots whose buffers are free once this node ran.
	release []int
}

// plan is a model compiled for execution: nodes in order over numbered
// value slots, constants decoded once.
type plan struct {
	nslots  int
	names   []string  // slot → value name
	consts  []*tensor // slot → initializer, nil for computed values
	inputs  []int     // slots of the contract's inputs, in contract order
	outputs []int     // slots of the contract's outputs, in contract order
	// outputRoots are the slots owning the outputs' buffers (released
	// after the outputs are copied out).
	outputRoots []int
	nodes       []*node
}

// ir is the mutable graph the fusion passes rewrite.
type ir struct {
	nodes   []*irNode
	consts  map[string]*tensor
	inputs  map[string]bool
	outputs map[string]bool
	// producer and consumers index the live nodes (rebuilt by index).
	producer  map[string]*irNode
	consumers map[string][]*irNode
}

func newIR(g *onnx.GraphProto, inputs, outputs []string) (*ir, error) {
	x := &ir{consts: map[string]*tensor{}, inputs: map[string]bool{}, outputs: map[string]bool{}}
	for _, tp := range g.GetInitializer() {
		if _, dup := x.consts[tp.GetName()]; dup {
			return nil, fmt.Errorf("initializer %s is defined twice", tp.GetName())
		}
		t, err := decodeInitializer(tp)
		if err != nil {
			return nil, err
		}
		x.consts[tp.GetName()] = t
	}
	for _, n := range inputs {
		x.inputs[n] = true
	}
	for _, n := range outputs {
		x.outputs[n] = true
	}
	var unsupported []string
	for i, n := range g.GetNode() {
		if n.GetDomain() != "" && n.GetDomain() != "ai.onnx" {
			unsupported = append(unsupported, fmt.Sprintf("%s (domain %s, node %s)", n.GetOpType(), n.GetDomain(), n.GetName()))
			continue
		}
		if !supportedOps[n.GetOpType()] {
			unsupported = append(unsupported, fmt.Sprintf("%s (node %s)", n.GetOpType(), n.GetName()))
			continue
		}
		name := n.GetName()
		if name == "" {
			name = fmt.Sprintf("#%d", i)
		}
		in := make([]string, len(n.GetInput()))
		copy(in, n.GetInput())
		out := make([]string, len(n.GetOutput()))
		copy(out, n.GetOutput())
		attrs := map[string]*onnx.AttributeProto{}
		for _, a := range n.GetAttribute() {
			attrs[a.GetName()] = a
		}
		x.nodes = append(x.nodes, &irNode{name: name, op: n.GetOpType(), in: in, out: out, attrs: attrs})
	}
	if len(unsupported) > 0 {
		return nil, fmt.Errorf("unsupported operators: %s; the executor runs %s",
			strings.Join(unsupported, ", "), strings.Join(SupportedOps(), " "))
	}
	if err := x.sort(); err != nil {
		return nil, err
	}
	x.index()
	return x, nil
}

// sort orders the nodes topologically (stable: an already sorted graph keeps
// its order) and reports values that are never produced and cycles.
func (x *ir) sort() error {
	defined := map[string]bool{"": true}
	for n := range x.consts {
		defined[n] = true
	}
	for n := range x.inputs {
		defined[n] = true
	}
	producers := map[string]bool{}
	for _, n := range x.nodes {
		for _, o := range n.out {
			if o == "" {
				continue
			}
			if defined[o] || producers[o] {
				return fmt.Errorf("value %s is produced twice (node %s)", o, n.name)
			}
			producers[o] = true
		}
	}
	var sorted []*irNode
	done := make([]bool, len(x.nodes))
	for len(sorted) < len(x.nodes) {
		progress := false
		for i, n := range x.nodes {
			if done[i] {
				continue
			}
			ready := true
			for _, in := range n.in {
				if !defined[in] {
					if !producers[in] {
						return fmt.Errorf("node %s (%s) reads %s, which no node, input or initializer defines", n.name, n.op, in)
					}
					ready = false
					break
				}
			}
			if ready {
				done[i], progress = true, true
				sorted = append(sorted, n)
				for _, o := range n.out {
					defined[o] = true
				}
			}
		}
		if !progress {
			return fmt.Errorf("the graph has a cycle")
		}
	}
	x.nodes = sorted
	for o := range x.outputs {
		if !defined[o] {
			return fmt.Errorf("output %s is never computed", o)
		}
	}
	return nil
}

// index rebuilds producer and consumers over the live nodes.
func (x *ir) index() {
	x.producer = map[string]*irNode{}
	x.consumers = map[string][]*irNode{}
	live := x.nodes[:0]
	for _, n := range x.nodes {
		if n.dead {
			continue
		}
		live = append(live, n)
		for _, o := range n.out {
			x.producer[o] = n
		}
		for _, in := range n.in {
			cs := x.consumers[in]
			if len(cs) == 0 || cs[len(cs)-1] != n {
				x.consumers[in] = append(cs, n)
			}
		}
	}
	x.nodes = live
}

// eliminateDead drops nodes none of whose outputs is read.
func (x *ir) eliminateDead() {
	for {
		x.index()
		changed := false
		for _, n := range x.nodes {
			used := false
			for _, o := range n.out {
				if x.outputs[o] || len(x.consumers[o]) > 0 {
					used = true
				}
			}
			if !used {
				n.dead, changed = true, true
			}
		}
		if !changed {
			return
		}
	}
}

// compile numbers the values, builds the generic kernels and computes when
// each buffer can be released.
func (x *ir) compile(inputs, outputs []string) (*plan, error) {
	x.eliminateDead()
	p := &plan{}
	slots := map[string]int{}
	slot := func(name string) int {
		if name == "" {
			return -1
		}
		if s, ok := slots[name]; ok {
			return s
		}
		s := len(p.names)
		slots[name] = s
		p.names = append(p.names, name)
		p.consts = append(p.consts, x.consts[name])
		return s
	}
	for _, n := range inputs {
		p.inputs = append(p.inputs, slot(n))
	}
	for _, n := range x.nodes {
		k := n.k
		if k == nil {
			var err error
			if k, err = genericKernel(n); err != nil {
				return nil, fmt.Errorf("node %s (%s): %w", n.name, n.op, err)
			}
		}
		pn := &node{name: n.name, op: n.op, k: k}
		for _, in := range n.in {
			pn.in = append(pn.in, slot(in))
		}
		for _, o := range n.out {
			pn.out = append(pn.out, slot(o))
		}
		p.nodes = append(p.nodes, pn)
	}
	for _, n := range outputs {
		s, ok := slots[n]
		if !ok {
			return nil, fmt.Errorf("output %s is never computed", n)
		}
		p.outputs = append(p.outputs, s)
	}
	p.nslots = len(p.names)

	// Views (Reshape, Squeeze, Unsqueeze) share their input's buffer: root
	// maps every slot to the slot owning its buffer.
	root := make([]int, p.nslots)
	for i := range root {
		root[i] = i
	}
	for _, n := range p.nodes {
		switch n.k.(type) {
		case reshapeKernel, squeezeKernel, unsqueezeKernel:
			if len(n.in) > 0 && n.in[0] >= 0 {
				root[n.out[0]] = root[n.in[0]]
			}
		}
	}
	pinned := make([]bool, p.nslots) // inputs, constants, outputs
	for _, s := range p.inputs {
		pinned[root[s]] = true
	}
	for s, c := range p.consts {
		if c != nil {
			pinned[s] = true
		}
	}
	seen := map[int]bool{}
	for _, s := range p.outputs {
		r := root[s]
		if !pinned[r] && !seen[r] {
			p.outputRoots = append(p.outputRoots, r)
			seen[r] = true
		}
		pinned[r] = true
	}
	last := make([]int, p.nslots)
	for i := range last {
		last[i] = -1
	}
	for i, n := range p.nodes {
		for _, s := range n.in {
			if s >= 0 {
				last[root[s]] = i
			}
		}
		for _, s := range n.out {
			if last[root[s]] < i {
				last[root[s]] = i // written but never read
			}
		}
	}
	for s, l := range last {
		if root[s] == s && !pinned[s] && l >= 0 {
			p.nodes[l].release = append(p.nodes[l].release, s)
		}
	}
	return p, nil
}

// attrInt returns the INT attribute name of n, or def.
func attrInt(n *irNode, name string, def int64) int64 {
	if a, ok := n.attrs[name]; ok {
		return a.GetI()
	}
	return def
}

// genericKernel returns the unfused kernel of an ONNX node.
func genericKernel(n *irNode) (kernel, error) {
	for name := range n.attrs {
		if !knownAttr(n.op, name) {
			return nil, fmt.Errorf("attribute %s is not supported", name)
		}
	}
	switch n.op {
	case "Add":
		return binaryKernel{opAdd}, nil
	case "Sub":
		return binaryKernel{opSub}, nil
	case "Mul":
		return binaryKernel{opMul}, nil
	case "Div":
		return binaryKernel{opDiv}, nil
	case "Erf":
		return unaryKernel{opErf}, nil
	case "Sqrt":
		return unaryKernel{opSqrt}, nil
	case "Log":
		return unaryKernel{opLog}, nil
	case "Relu":
		return unaryKernel{opRelu}, nil
	case "Sigmoid":
		return unaryKernel{opSigmoid}, nil
	case "Clip":
		return clipKernel{}, nil
	case "Cast":
		switch onnx.TensorProto_DataType(attrInt(n, "to", 0)) {
		case onnx.TensorProto_FLOAT:
			return castKernel{dtFloat}, nil
		case onnx.TensorProto_INT64:
			return castKernel{dtInt64}, nil
		}
		return nil, fmt.Errorf("cast to data type %d is not supported (want FLOAT or INT64)", attrInt(n, "to", 0))
	case "Concat":
		a, ok := n.attrs["axis"]
		if !ok {
			return nil, fmt.Errorf("attribute axis is required")
		}
		return concatKernel{a.GetI()}, nil
	case "ReduceMean":
		var axes []int64
		if a, ok := n.attrs["axes"]; ok {
			axes = append(axes, a.GetInts()...)
		}
		return reduceMeanKernel{axes: axes, keepdims: attrInt(n, "keepdims", 1) != 0}, nil
	case "MatMul":
		return matMulKernel{}, nil
	case "Reshape":
		if attrInt(n, "allowzero", 0) != 0 {
			return nil, fmt.Errorf("allowzero=1 is not supported")
		}
		return reshapeKernel{}, nil
	case "Shape":
		return shapeKernel{}, nil
	case "Slice":
		return sliceKernel{}, nil
	case "Softmax":
		return softmaxKernel{attrInt(n, "axis", -1)}, nil
	case "Squeeze":
		return squeezeKernel{}, nil
	case "Unsqueeze":
		return unsqueezeKernel{}, nil
	case "Transpose":
		var perm []int64
		if a, ok := n.attrs["perm"]; ok {
			perm = append(perm, a.GetInts()...)
		}
		return transposeKernel{perm}, nil
	}
	return nil, fmt.Errorf("operator %s is not supported", n.op)
}

func knownAttr(op, name string) bool {
	switch op {
	case "Cast":
		return name == "to"
	case "Concat", "Softmax":
		return name == "axis"
	case "ReduceMean":
		return name == "axes" || name == "keepdims"
	case "Reshape":
		return name == "allowzero"
	case "Transpose":
		return name == "perm"
	}
	return false
}
