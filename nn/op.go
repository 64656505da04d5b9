package nn

import (
	"fmt"
	"hash"
	"hash/fnv"
	"unsafe"

	"github.com/chewxy/hm"
	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"causeway/model"
)

// arena holds the float32 memory of every op output and scratch buffer of a
// Net. Graphs of one Net run one at a time and are built by the same code,
// so slot i of every graph shares one buffer grown to the largest request:
// caching a graph per N costs the memory of the largest graph only.
type arena struct {
	slots [][]float32
}

// get returns slot id with exactly size elements (contents unspecified).
func (a *arena) get(id, size int) []float32 {
	for len(a.slots) <= id {
		a.slots = append(a.slots, nil)
	}
	if cap(a.slots[id]) < size {
		a.slots[id] = make([]float32, size)
	}
	return a.slots[id][:size]
}

// buf is one arena slot seen as a tensor of a fixed shape. The *tensor.Dense
// header is cached and rebuilt only when the slot's memory moved.
type buf struct {
	ar    *arena
	id    int
	shape tensor.Shape
	t     *tensor.Dense
	p     unsafe.Pointer
}

// data returns the slot's memory, len = shape's size.
func (b *buf) data() []float32 { return b.ar.get(b.id, b.shape.TotalSize()) }

// dense returns the slot as a tensor of b.shape.
func (b *buf) dense() *tensor.Dense {
	d := b.data()
	p := unsafe.Pointer(unsafe.SliceData(d))
	if b.t == nil || p != b.p {
		b.t = tensor.New(tensor.WithShape(b.shape.Clone()...), tensor.WithBacking(d))
		b.p = p
	}
	return b.t
}

// gctx is the build context of one graph: it numbers ops (gorgonia merges
// nodes whose ops hash alike, and ops here carry state, so every op must be
// unique) and hands out arena slots.
type gctx struct {
	ar       *arena
	nextID   int
	nextSlot int
	train    bool
}

func (c *gctx) buf(shape ...int) *buf {
	b := &buf{ar: c.ar, id: c.nextSlot, shape: tensor.Shape(shape).Clone()}
	c.nextSlot++
	return b
}

// opBase implements the bookkeeping part of gorgonia.Op and SDOp for the
// package's ops: every value is a float32 *tensor.Dense, every output lives
// in its own arena slot, no op works in place.
type opBase struct {
	kind  string
	id    int
	ranks []int // rank of each input
	diff  []bool
	out   *buf
}

func (c *gctx) base(kind string, ranks []int, diff []bool, shape ...int) opBase {
	c.nextID++
	if diff == nil {
		diff = make([]bool, len(ranks))
	}
	return opBase{kind: kind, id: c.nextID, ranks: ranks, diff: diff, out: c.buf(shape...)}
}

func tensorType(rank int) hm.Type { return gorgonia.TensorType{Dims: rank, Of: tensor.Float32} }

func (o *opBase) Arity() int { return len(o.ranks) }

func (o *opBase) Type() hm.Type {
	ts := make([]hm.Type, 0, len(o.ranks)+1)
	for _, r := range o.ranks {
		ts = append(ts, tensorType(r))
	}
	ts = append(ts, tensorType(len(o.out.shape)))
	return hm.NewFnType(ts...)
}

func (o *opBase) InferShape(...gorgonia.DimSizer) (tensor.Shape, error) {
	return o.out.shape.Clone(), nil
}

func (o *opBase) ReturnsPtr() bool      { return false }
func (o *opBase) CallsExtern() bool     { return false }
func (o *opBase) OverwritesInput() int  { return -1 }
func (o *opBase) String() string        { return fmt.Sprintf("%s#%d", o.kind, o.id) }
func (o *opBase) WriteHash(h hash.Hash) { fmt.Fprintf(h, "nn.%s#%d", o.kind, o.id) }

func (o *opBase) Hashcode() uint32 {
	h := fnv.New32a()
	o.WriteHash(h)
	return h.Sum32()
}

// DiffWRT reports which inputs the op is differentiated with respect to.
func (o *opBase) DiffWRT(int) []bool { return o.diff }

// SymDiff is the default for ops that are never differentiated (backward
// ops, data preprocessing).
func (o *opBase) SymDiff(gorgonia.Nodes, *gorgonia.Node, *gorgonia.Node) (gorgonia.Nodes, error) {
	return nil, fmt.Errorf("nn: %s is not differentiable", o)
}

// f32 is the float32 backing of a value produced or bound in this package.
func f32(v gorgonia.Value) []float32 {
	return v.(*tensor.Dense).Float32s()
}

// apply adds op to the graph of the children; an error is a misuse of the
// builder (model.Failf).
func apply(op gorgonia.Op, children ...*gorgonia.Node) *gorgonia.Node {
	n, err := gorgonia.ApplyOp(op, children...)
	if err != nil {
		model.Failf("nn: apply %v: %w", op, err)
	}
	return n
}

// grads builds the result of SymDiff: one entry per input, nil where the op
// is not differentiated.
func grads(diff []bool, mk ...func() *gorgonia.Node) gorgonia.Nodes {
	out := make(gorgonia.Nodes, len(diff))
	for i, d := range diff {
		if d && i < len(mk) && mk[i] != nil {
			out[i] = mk[i]()
		}
	}
	return out
}
