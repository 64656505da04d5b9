package onnxrt

// state is the per-run working memory of one goroutine: a value per slot
// of the plan and a free list of float32 buffers. States are pooled by the
// Model (sync.Pool), so steady-state runs allocate almost nothing: each
// buffer keeps its capacity from run to run, and buffers are handed back to
// the free list as soon as the last reader of a value has run.
type state struct {
	vals []tensor
	free [][]float32
	// scratch is per-kernel temporary space (attention scores, LayerNorm
	// rows), grown on demand.
	scratch []float32
}

func newState(p *plan) *state {
	s := &state{vals: make([]tensor, p.nslots)}
	for slot, c := range p.consts {
		if c != nil {
			s.vals[slot] = *c
		}
	}
	return s
}

// alloc returns a float32 buffer of length n from the free list: the
// smallest that fits, else a new one that replaces the largest too-small
// buffer (so the list does not grow when shapes grow).
func (s *state) alloc(n int) []float32 {
	best, largest := -1, -1
	for i, b := range s.free {
		if cap(b) >= n && (best < 0 || cap(b) < cap(s.free[best])) {
			best = i
		}
		if largest < 0 || cap(b) > cap(s.free[largest]) {
			largest = i
		}
	}
	var buf []float32
	switch {
	case best >= 0:
		buf = s.free[best][:n]
		s.free[best] = s.free[len(s.free)-1]
		s.free = s.free[:len(s.free)-1]
	default:
		if largest >= 0 {
			s.free[largest] = s.free[len(s.free)-1]
			s.free = s.free[:len(s.free)-1]
		}
		buf = make([]float32, n, n+n/8)
	}
	return buf
}

// release returns the buffer of the value in slot to the free list.
func (s *state) release(slot int) {
	t := &s.vals[slot]
	if t.dtype == dtFloat && cap(t.f) > 0 {
		s.free = append(s.free, t.f[:0])
	}
	t.f = nil
}

// reset ends a successful run: buffers still held (the outputs) go back to
// the free list, and every non-constant slot forgets its data. A run that
// fails drops its state instead.
func (s *state) reset(p *plan) {
	for _, slot := range p.outputRoots {
		s.release(slot)
	}
	for slot := range s.vals {
		if p.consts[slot] == nil {
			s.vals[slot].f = nil
		}
	}
}

// scratchBuf returns temporary space of n floats, valid until the next call.
func (s *state) scratchBuf(n int) []float32 {
	if cap(s.scratch) < n {
		s.scratch = make([]float32, n)
	}
	return s.scratch[:n]
}

// setFloat makes slot a float32 value of the given shape backed by a fresh
// arena buffer and returns it.
func (s *state) setFloat(slot int, shape ...int) *tensor {
	t := &s.vals[slot]
	t.dtype = dtFloat
	t.shape = append(t.shape[:0], shape...)
	t.f = s.alloc(prod(t.shape))
	t.i = nil
	return t
}

// setInt64 makes slot an int64 value of the given shape (its own storage,
// reused from run to run) and returns it.
func (s *state) setInt64(slot int, shape ...int) *tensor {
	t := &s.vals[slot]
	t.dtype = dtInt64
	t.shape = append(t.shape[:0], shape...)
	n := prod(t.shape)
	if cap(t.i) < n {
		t.i = make([]int64, n)
	}
	t.i = t.i[:n]
	t.f = nil
	return t
}

// setView makes slot a view of src with a new shape (no copy).
func (s *state) setView(slot int, src *tensor, shape []int) *tensor {
	t := &s.vals[slot]
	t.dtype = src.dtype
	t.shape = append(t.shape[:0], shape...)
	t.f, t.i = src.f, src.i
	return t
}
