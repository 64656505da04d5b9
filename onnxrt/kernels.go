package onnxrt

import (
	"fmt"
	"math"
	"slices"

	"causeway/internal/simd"
)

// kernel computes one node of a plan: it reads the node's input slots and
// sets its output slots in s.
type kernel interface {
	run(s *state, n *node) error
}

// maxRank bounds the rank of every value (the models use at most 4).
const maxRank = 8

func (s *state) input(n *node, i int) *tensor {
	if i >= len(n.in) || n.in[i] < 0 {
		return nil
	}
	return &s.vals[n.in[i]]
}

func floatInput(s *state, n *node, i int) (*tensor, error) {
	t := s.input(n, i)
	if t == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	if t.dtype != dtFloat {
		return nil, fmt.Errorf("input %d is %s, want float32", i, t.dtype)
	}
	return t, nil
}

func intInput(s *state, n *node, i int) (*tensor, error) {
	t := s.input(n, i)
	if t == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	if t.dtype != dtInt64 {
		return nil, fmt.Errorf("input %d is %s, want int64", i, t.dtype)
	}
	return t, nil
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis int64, rank int) (int, error) {
	a := int(axis)
	if a < 0 {
		a += rank
	}
	if a < 0 || a >= rank {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	return a, nil
}

// ---- elementwise binary ops with multidirectional broadcasting ----

type binOp uint8

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
)

type binaryKernel struct{ op binOp }

func (k binaryKernel) run(s *state, n *node) error {
	a, err := floatInput(s, n, 0)
	if err != nil {
		return err
	}
	b, err := floatInput(s, n, 1)
	if err != nil {
		return err
	}
	var shape [maxRank]int
	r, err := broadcastShape(shape[:], a.shape, b.shape)
	if err != nil {
		return err
	}
	out := s.setFloat(n.out[0], shape[:r]...)
	broadcastBinary(k.op, out, a, b)
	return nil
}

// broadcastShape writes the numpy-broadcast shape of a and b into dst and
// returns its rank.
func broadcastShape(dst []int, a, b []int) (int, error) {
	r := max(len(a), len(b))
	if r > maxRank {
		return 0, fmt.Errorf("rank %d exceeds %d", r, maxRank)
	}
	for i := 0; i < r; i++ {
		da, db := 1, 1
		if j := len(a) - r + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - r + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			dst[i] = da
		case da == 1:
			dst[i] = db
		case db == 1:
			dst[i] = da
		default:
			return 0, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return r, nil
}

// broadcastStrides returns x's element strides over the output shape (0
// where x is broadcast).
func broadcastStrides(dst []int, x, out []int) {
	r := len(out)
	stride := 1
	for i := r - 1; i >= 0; i-- {
		j := len(x) - r + i
		if j < 0 || x[j] == 1 {
			dst[i] = 0
		} else {
			dst[i] = stride
		}
		if j >= 0 {
			stride *= x[j]
		}
	}
}

func broadcastBinary(op binOp, out, a, b *tensor) {
	o := out.f
	switch {
	case slices.Equal(a.shape, b.shape):
		binRow(op, o, a.f, 1, b.f, 1)
		return
	case len(b.f) == 1:
		binRow(op, o, a.f, 1, b.f, 0)
		return
	case len(a.f) == 1:
		binRow(op, o, a.f, 0, b.f, 1)
		return
	}
	// Strides over the output, then coalesce dimensions that are
	// contiguous (or broadcast) in both operands.
	var sa, sb, dims [maxRank]int
	r := len(out.shape)
	broadcastStrides(sa[:r], a.shape, out.shape)
	broadcastStrides(sb[:r], b.shape, out.shape)
	copy(dims[:r], out.shape)
	k := r - 1
	for i := r - 2; i >= 0; i-- {
		if sa[i] == sa[k]*dims[k] && sb[i] == sb[k]*dims[k] {
			dims[k] *= dims[i]
			continue
		}
		k--
		dims[k], sa[k], sb[k] = dims[i], sa[i], sb[i]
	}
	// dims[k:r] are the coalesced dimensions; the last is the row.
	row := dims[r-1]
	ia, ib := sa[r-1], sb[r-1]
	var idx [maxRank]int
	offA, offB := 0, 0
	for off := 0; off < len(o); off += row {
		binRow(op, o[off:off+row], a.f[offA:], ia, b.f[offB:], ib)
		for d := r - 2; d >= k; d-- {
			idx[d]++
			offA += sa[d]
			offB += sb[d]
			if idx[d] < dims[d] {
				break
			}
			offA -= sa[d] * dims[d]
			offB -= sb[d] * dims[d]
			idx[d] = 0
		}
	}
}

// binRow computes dst[i] = a[i·sa] op b[i·sb] for strides 0 or 1.
func binRow(op binOp, dst, a []float32, sa int, b []float32, sb int) {
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:len(dst)], b[:len(dst)]
		switch op {
		case opAdd:
			for i := range dst {
				dst[i] = a[i] + b[i]
			}
		case opSub:
			for i := range dst {
				dst[i] = a[i] - b[i]
			}
		case opMul:
			for i := range dst {
				dst[i] = a[i] * b[i]
			}
		case opDiv:
			for i := range dst {
				dst[i] = a[i] / b[i]
			}
		}
	case sa == 1: // b is a scalar over the row
		a = a[:len(dst)]
		y := b[0]
		switch op {
		case opAdd:
			for i := range dst {
				dst[i] = a[i] + y
			}
		case opSub:
			for i := range dst {
				dst[i] = a[i] - y
			}
		case opMul:
			for i := range dst {
				dst[i] = a[i] * y
			}
		case opDiv:
			for i := range dst {
				dst[i] = a[i] / y
			}
		}
	case sb == 1: // a is a scalar over the row
		b = b[:len(dst)]
		x := a[0]
		switch op {
		case opAdd:
			for i := range dst {
				dst[i] = x + b[i]
			}
		case opSub:
			for i := range dst {
				dst[i] = x - b[i]
			}
		case opMul:
			for i := range dst {
				dst[i] = x * b[i]
			}
		case opDiv:
			for i := range dst {
				dst[i] = x / b[i]
			}
		}
	default:
		var v float32
		switch op {
		case opAdd:
			v = a[0] + b[0]
		case opSub:
			v = a[0] - b[0]
		case opMul:
			v = a[0] * b[0]
		case opDiv:
			v = a[0] / b[0]
		}
		for i := range dst {
			dst[i] = v
		}
	}
}

// ---- elementwise unary ops ----

type unaryOp uint8

const (
	opErf unaryOp = iota
	opSqrt
	opRelu
	opSigmoid
	opGelu
	opLog
)

type unaryKernel struct{ op unaryOp }

func (k unaryKernel) run(s *state, n *node) error {
	x, err := floatInput(s, n, 0)
	if err != nil {
		return err
	}
	out := s.setFloat(n.out[0], x.shape...)
	applyUnary(k.op, out.f, x.f)
	return nil
}

func applyUnary(op unaryOp, dst, x []float32) {
	x = x[:len(dst)]
	switch op {
	case opErf:
		for i, v := range x {
			dst[i] = erf32(v)
		}
	case opSqrt:
		for i, v := range x {
			dst[i] = float32(math.Sqrt(float64(v)))
		}
	case opRelu:
		for i := simd.ReLU(dst, x); i < len(dst); i++ {
			dst[i] = simd.ReLU32(x[i])
		}
	case opSigmoid:
		for i, v := range x {
			dst[i] = sigmoid32(v)
		}
	case opGelu:
		geluInto(dst, x)
	case opLog:
		for i, v := range x {
			dst[i] = float32(math.Log(float64(v)))
		}
	}
}

func sigmoid32(v float32) float32 {
	return float32(1 / (1 + math.Exp(-float64(v))))
}

// clipKernel is Clip with optional scalar min and max inputs.
type clipKernel struct{}

func (clipKernel) run(s *state, n *node) error {
	x, err := floatInput(s, n, 0)
	if err != nil {
		return err
	}
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	for i, p := range []*float32{&lo, &hi} {
		t := s.input(n, i+1)
		if t == nil {
			continue
		}
		if t.dtype != dtFloat || len(t.f) != 1 {
			return fmt.Errorf("clip bound %d must be a float32 scalar, got %s %v", i+1, t.dtype, t.shape)
		}
		*p = t.f[0]
	}
	out := s.setFloat(n.out[0], x.shape...)
	for i, v := range x.f {
		out.f[i] = min(max(v, lo), hi)
	}
	return nil
}

// ---- type and shape ops ----

type castKernel struct{ to dtype }

func (k castKernel) run(s *state, n *node) error {
	x := s.input(n, 0)
	if x == nil {
		return fmt.Errorf("input 0 is missing")
	}
	switch {
	case k.to == dtFloat:
		out := s.setFloat(n.out[0], x.shape...)
		if x.dtype == dtFloat {
			copy(out.f, x.f)
			break
		}
		for i, v := range x.i {
			out.f[i] = float32(v)
		}
	default:
		out := s.setInt64(n.out[0], x.shape...)
		if x.dtype == dtInt64 {
			copy(out.i, x.i)
			break
		}
		for i, v := range x.f {
			out.i[i] = int64(v)
		}
	}
	return nil
}

type shapeKernel struct{}

func (shapeKernel) run(s *state, n *node) error {
	x := s.input(n, 0)
	if x == nil {
		return fmt.Errorf("input 0 is missing")
	}
	out := s.setInt64(n.out[0], len(x.shape))
	for i, d := range x.shape {
		out.i[i] = int64(d)
	}
	return nil
}

type reshapeKernel struct{}

func (reshapeKernel) run(s *state, n *node) error {
	x := s.input(n, 0)
	if x == nil {
		return fmt.Errorf("input 0 is missing")
	}
	spec, err := intInput(s, n, 1)
	if err != nil {
		return err
	}
	if len(spec.i) > maxRank {
		return fmt.Errorf("target rank %d exceeds %d", len(spec.i), maxRank)
	}
	var shape [maxRank]int
	infer, known := -1, 1
	for i, d := range spec.i {
		switch {
		case d == 0:
			if i >= len(x.shape) {
				return fmt.Errorf("shape %v copies dimension %d of a rank-%d input", spec.i, i, len(x.shape))
			}
			shape[i] = x.shape[i]
		case d == -1:
			if infer >= 0 {
				return fmt.Errorf("shape %v has more than one -1", spec.i)
			}
			infer = i
			continue
		case d < 0:
			return fmt.Errorf("shape %v has a negative dimension", spec.i)
		default:
			shape[i] = int(d)
		}
		known *= shape[i]
	}
	size := x.size()
	if infer >= 0 {
		if known == 0 || size%known != 0 {
			return fmt.Errorf("cannot reshape %v to %v", x.shape, spec.i)
		}
		shape[infer] = size / known
	} else if known != size {
		return fmt.Errorf("cannot reshape %v (%d values) to %v", x.shape, size, spec.i)
	}
	s.setView(n.out[0], x, shape[:len(spec.i)])
	return nil
}

type squeezeKernel struct{}

func (squeezeKernel) run(s *state, n *node) error {
	x := s.input(n, 0)
	if x == nil {
		return fmt.Errorf("input 0 is missing")
	}
	var drop [maxRank]bool
	if axes := s.input(n, 1); axes != nil {
		if axes.dtype != dtInt64 {
			return fmt.Errorf("axes must be int64")
		}
		for _, a := range axes.i {
			ax, err := normAxis(a, len(x.shape))
			if err != nil {
				return err
			}
			if x.shape[ax] != 1 {
				return fmt.Errorf("cannot squeeze axis %d of shape %v", a, x.shape)
			}
			drop[ax] = true
		}
	} else {
		for i, d := range x.shape {
			drop[i] = d == 1
		}
	}
	var shape [maxRank]int
	r := 0
	for i, d := range x.shape {
		if !drop[i] {
			shape[r] = d
			r++
		}
	}
	s.setView(n.out[0], x, shape[:r])
	return nil
}

type unsqueezeKernel struct{}

func (unsqueezeKernel) run(s *state, n *node) error {
	x := s.input(n, 0)
	if x == nil {
		return fmt.Errorf("input 0 is missing")
	}
	axes, err := intInput(s, n, 1)
	if err != nil {
		return err
	}
	r := len(x.shape) + len(axes.i)
	if r > maxRank {
		return fmt.Errorf("rank %d exceeds %d", r, maxRank)
	}
	var ins [maxRank]bool
	for _, a := range axes.i {
		ax, err := normAxis(a, r)
		if err != nil {
			return err
		}
		if ins[ax] {
			return fmt.Errorf("axes %v repeat an axis", axes.i)
		}
		ins[ax] = true
	}
	var shape [maxRank]int
	j := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			shape[i] = 1
		} else {
			shape[i] = x.shape[j]
			j++
		}
	}
	s.setView(n.out[0], x, shape[:r])
	return nil
}

type concatKernel struct{ axis int64 }

func (k concatKernel) run(s *state, n *node) error {
	first := s.input(n, 0)
	if first == nil {
		return fmt.Errorf("input 0 is missing")
	}
	r := len(first.shape)
	axis, err := normAxis(k.axis, r)
	if err != nil {
		return err
	}
	var shape [maxRank]int
	copy(shape[:], first.shape)
	shape[axis] = 0
	for i := range n.in {
		t := s.input(n, i)
		if t == nil || t.dtype != first.dtype || len(t.shape) != r {
			return fmt.Errorf("input %d does not match input 0 (%s, rank %d)", i, first.dtype, r)
		}
		for d := 0; d < r; d++ {
			if d != axis && t.shape[d] != first.shape[d] {
				return fmt.Errorf("input %d has shape %v, input 0 %v", i, t.shape, first.shape)
			}
		}
		shape[axis] += t.shape[axis]
	}
	outer := prod(first.shape[:axis])
	inner := prod(first.shape[axis+1:])
	if first.dtype == dtFloat {
		out := s.setFloat(n.out[0], shape[:r]...)
		off := 0
		for o := 0; o < outer; o++ {
			for i := range n.in {
				t := s.input(n, i)
				c := t.shape[axis] * inner
				off += copy(out.f[off:off+c], t.f[o*c:(o+1)*c])
			}
		}
		return nil
	}
	out := s.setInt64(n.out[0], shape[:r]...)
	off := 0
	for o := 0; o < outer; o++ {
		for i := range n.in {
			t := s.input(n, i)
			c := t.shape[axis] * inner
			off += copy(out.i[off:off+c], t.i[o*c:(o+1)*c])
		}
	}
	return nil
}

type transposeKernel struct{ perm []int64 }

func (k transposeKernel) run(s *state, n *node) error {
	x := s.input(n, 0)
	if x == nil {
		return fmt.Errorf("input 0 is missing")
	}
	r := len(x.shape)
	var perm [maxRank]int
	if len(k.perm) == 0 {
		for i := range r {
			perm[i] = r - 1 - i
		}
	} else {
		if len(k.perm) != r {
			return fmt.Errorf("perm %v for rank %d", k.perm, r)
		}
		var seen [maxRank]bool
		for i, p := range k.perm {
			if p < 0 || int(p) >= r || seen[p] {
				return fmt.Errorf("perm %v is not a permutation of 0..%d", k.perm, r-1)
			}
			seen[p] = true
			perm[i] = int(p)
		}
	}
	var shape, inStride, stride [maxRank]int
	st := 1
	for i := r - 1; i >= 0; i-- {
		inStride[i] = st
		st *= x.shape[i]
	}
	for i := 0; i < r; i++ {
		shape[i] = x.shape[perm[i]]
		stride[i] = inStride[perm[i]]
	}
	if x.dtype == dtFloat {
		out := s.setFloat(n.out[0], shape[:r]...)
		permute(out.f, x.f, 0, shape[:r], stride[:r])
	} else {
		out := s.setInt64(n.out[0], shape[:r]...)
		permute(out.i, x.i, 0, shape[:r], stride[:r])
	}
	return nil
}

// permute writes dst in row-major order of shape, reading src from start
// at the given per-dimension strides (which may be negative).
func permute[T float32 | int64](dst, src []T, start int, shape, stride []int) {
	r := len(shape)
	if len(dst) == 0 {
		return
	}
	if r == 0 {
		dst[0] = src[start]
		return
	}
	row, rs := shape[r-1], stride[r-1]
	var idx [maxRank]int
	off := start
	for o := 0; o < len(dst); o += row {
		d := dst[o : o+row]
		if rs == 1 {
			copy(d, src[off:off+row])
		} else {
			for j := range d {
				d[j] = src[off+j*rs]
			}
		}
		for dd := r - 2; dd >= 0; dd-- {
			idx[dd]++
			off += stride[dd]
			if idx[dd] < shape[dd] {
				break
			}
			off -= stride[dd] * shape[dd]
			idx[dd] = 0
		}
	}
}

type sliceKernel struct{}

func (sliceKernel) run(s *state, n *node) error {
	x := s.input(n, 0)
	if x == nil {
		return fmt.Errorf("input 0 is missing")
	}
	starts, err := intInput(s, n, 1)
	if err != nil {
		return err
	}
	ends, err := intInput(s, n, 2)
	if err != nil {
		return err
	}
	if len(starts.i) != len(ends.i) {
		return fmt.Errorf("%d starts and %d ends", len(starts.i), len(ends.i))
	}
	axes, steps := s.input(n, 3), s.input(n, 4)
	r := len(x.shape)
	var begin, step, shape, inStride, stride [maxRank]int
	for i := 0; i < r; i++ {
		shape[i], step[i] = x.shape[i], 1
	}
	for j := range starts.i {
		ax := int64(j)
		if axes != nil {
			if axes.dtype != dtInt64 || len(axes.i) != len(starts.i) {
				return fmt.Errorf("axes must be int64 with one entry per start")
			}
			ax = axes.i[j]
		}
		a, err := normAxis(ax, r)
		if err != nil {
			return err
		}
		st := int64(1)
		if steps != nil {
			if steps.dtype != dtInt64 || len(steps.i) != len(starts.i) {
				return fmt.Errorf("steps must be int64 with one entry per start")
			}
			st = steps.i[j]
		}
		if st == 0 {
			return fmt.Errorf("slice step 0")
		}
		dim := int64(x.shape[a])
		lo, hi := starts.i[j], ends.i[j]
		if lo < 0 {
			lo += dim
		}
		if hi < 0 {
			hi += dim
		}
		var count int64
		if st > 0 {
			lo, hi = min(max(lo, 0), dim), min(max(hi, 0), dim)
			if hi > lo {
				count = (hi - lo + st - 1) / st
			}
		} else {
			lo, hi = min(max(lo, -1), dim-1), min(max(hi, -1), dim-1)
			if lo > hi {
				count = (lo - hi - st - 1) / -st
			}
		}
		begin[a], step[a], shape[a] = int(lo), int(st), int(count)
	}
	st := 1
	off := 0
	for i := r - 1; i >= 0; i-- {
		inStride[i] = st
		st *= x.shape[i]
	}
	for i := 0; i < r; i++ {
		stride[i] = inStride[i] * step[i]
		if shape[i] > 0 {
			off += begin[i] * inStride[i]
		}
	}
	if x.dtype == dtFloat {
		out := s.setFloat(n.out[0], shape[:r]...)
		permute(out.f, x.f, off, shape[:r], stride[:r])
	} else {
		out := s.setInt64(n.out[0], shape[:r]...)
		permute(out.i, x.i, off, shape[:r], stride[:r])
	}
	return nil
}

// ---- reductions and softmax ----

type reduceMeanKernel struct {
	axes     []int64 // empty: all axes
	keepdims bool
}

func (k reduceMeanKernel) run(s *state, n *node) error {
	x, err := floatInput(s, n, 0)
	if err != nil {
		return err
	}
	r := len(x.shape)
	var red [maxRank]bool
	if len(k.axes) == 0 {
		for i := range r {
			red[i] = true
		}
	}
	for _, a := range k.axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return err
		}
		red[ax] = true
	}
	var shape, keep [maxRank]int
	or := 0
	for i := 0; i < r; i++ {
		keep[i] = x.shape[i]
		if red[i] {
			keep[i] = 1
			if k.keepdims {
				shape[or] = 1
				or++
			}
			continue
		}
		shape[or] = x.shape[i]
		or++
	}
	out := s.setFloat(n.out[0], shape[:or]...)
	count := x.size() / max(len(out.f), 1)
	// Sum every input element into its output cell: walk x in order with
	// the output strides (0 on reduced axes).
	var ostride [maxRank]int
	st := 1
	for i := r - 1; i >= 0; i-- {
		if red[i] {
			ostride[i] = 0
		} else {
			ostride[i] = st
			st *= keep[i]
		}
	}
	acc := make([]float64, len(out.f))
	if r == 0 {
		acc[0] = float64(x.f[0])
	} else {
		row := x.shape[r-1]
		var idx [maxRank]int
		off := 0
		for o := 0; o < len(x.f); o += row {
			xr := x.f[o : o+row]
			if red[r-1] {
				var sum float64
				for _, v := range xr {
					sum += float64(v)
				}
				acc[off] += sum
			} else {
				a := acc[off : off+row]
				for j, v := range xr {
					a[j] += float64(v)
				}
			}
			for d := r - 2; d >= 0; d-- {
				idx[d]++
				off += ostride[d]
				if idx[d] < x.shape[d] {
					break
				}
				off -= ostride[d] * x.shape[d]
				idx[d] = 0
			}
		}
	}
	for i, v := range acc {
		out.f[i] = float32(v / float64(count))
	}
	return nil
}

type softmaxKernel struct{ axis int64 }

func (k softmaxKernel) run(s *state, n *node) error {
	x, err := floatInput(s, n, 0)
	if err != nil {
		return err
	}
	axis, err := normAxis(k.axis, len(x.shape))
	if err != nil {
		return err
	}
	out := s.setFloat(n.out[0], x.shape...)
	outer, dim, inner := prod(x.shape[:axis]), x.shape[axis], prod(x.shape[axis+1:])
	if inner == 1 {
		if dim > 0 {
			copy(out.f, x.f)
			simd.SoftmaxRows(out.f, dim)
		}
		return nil
	}
	col := s.scratchBuf(2 * dim)
	in, res := col[:dim], col[dim:]
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*dim*inner + i
			for j := range in {
				in[j] = x.f[base+j*inner]
			}
			softmaxRow(res, in)
			for j, v := range res {
				out.f[base+j*inner] = v
			}
		}
	}
	return nil
}

// softmaxRow writes softmax(x) into dst (simd.SoftmaxRows on one row).
func softmaxRow(dst, x []float32) {
	copy(dst, x)
	simd.SoftmaxRows(dst[:len(x)], len(x))
}

// ---- MatMul ----

type matMulKernel struct{}

func (matMulKernel) run(s *state, n *node) error {
	a, err := floatInput(s, n, 0)
	if err != nil {
		return err
	}
	b, err := floatInput(s, n, 1)
	if err != nil {
		return err
	}
	return matMul(s, n.out[0], a, b)
}

// matMul is numpy matmul semantics: 1-D operands are promoted (and the
// added axis dropped again), batch dimensions broadcast.
func matMul(s *state, outSlot int, a, b *tensor) error {
	as, bs := a.shape, b.shape
	if len(as) == 0 || len(bs) == 0 {
		return fmt.Errorf("MatMul of a scalar")
	}
	var abuf, bbuf [maxRank]int
	dropM, dropN := false, false
	if len(as) == 1 {
		abuf[0], abuf[1] = 1, as[0]
		as, dropM = abuf[:2], true
	}
	if len(bs) == 1 {
		bbuf[0], bbuf[1] = bs[0], 1
		bs, dropN = bbuf[:2], true
	}
	m, k := as[len(as)-2], as[len(as)-1]
	k2, nn := bs[len(bs)-2], bs[len(bs)-1]
	if k != k2 {
		return fmt.Errorf("MatMul of %v and %v: inner dimensions differ", a.shape, b.shape)
	}
	var batch [maxRank]int
	br, err := broadcastShape(batch[:], as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return fmt.Errorf("MatMul of %v and %v: %w", a.shape, b.shape, err)
	}
	var shape [maxRank]int
	r := copy(shape[:], batch[:br])
	if !dropM {
		shape[r] = m
		r++
	}
	if !dropN {
		shape[r] = nn
		r++
	}
	out := s.setFloat(outSlot, shape[:r]...)
	if len(bs) == 2 {
		// One GEMM over the flattened [batch·M, K] view of a.
		rows := len(a.f) / max(k, 1)
		if k == 0 {
			clear(out.f)
			return nil
		}
		gemmMul(false, false, rows, nn, k, 1, a.f, k, b.f, nn, 0, out.f, nn)
		return nil
	}
	if k == 0 {
		clear(out.f)
		return nil
	}
	var sa, sb, dims [maxRank]int
	broadcastStrides(sa[:br], as[:len(as)-2], batch[:br])
	broadcastStrides(sb[:br], bs[:len(bs)-2], batch[:br])
	copy(dims[:], batch[:br])
	count := prod(batch[:br])
	var idx [maxRank]int
	offA, offB := 0, 0
	ma, mb, mc := m*k, k*nn, m*nn
	for c := 0; c < count; c++ {
		gemmMul(false, false, m, nn, k, 1, a.f[offA*ma:], k, b.f[offB*mb:], nn, 0, out.f[c*mc:], nn)
		for d := br - 1; d >= 0; d-- {
			idx[d]++
			offA += sa[d]
			offB += sb[d]
			if idx[d] < dims[d] {
				break
			}
			offA -= sa[d] * dims[d]
			offB -= sb[d] * dims[d]
			idx[d] = 0
		}
	}
	return nil
}
