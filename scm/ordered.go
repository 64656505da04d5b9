package scm

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// ordered generates the items 0, 1, 2, ... (from start) on a pool of
// goroutines, each with its own worker (random stream and scratch), at most
// queue items ahead of the consumer, and hands them out in index order:
// item i depends only on i, so the sequence is the same for any number of
// workers.
type ordered[T any] struct {
	gen     func(w *worker, i int) T
	counter atomic.Int64
	slots   chan struct{} // one token per item generated but not yet taken
	done    chan struct{}
	wg      sync.WaitGroup
	once    sync.Once

	mu      sync.Mutex
	cond    *sync.Cond
	next    int
	pending map[int]T
}

func newOrdered[T any](workers, queue, start int, gen func(w *worker, i int) T) *ordered[T] {
	o := &ordered[T]{gen: gen, slots: make(chan struct{}, queue), done: make(chan struct{}),
		pending: map[int]T{}, next: start}
	o.cond = sync.NewCond(&o.mu)
	o.counter.Store(int64(start))
	for range workers {
		o.wg.Go(o.work)
	}
	return o
}

func (o *ordered[T]) work() {
	var w worker
	w.rng = rand.New(&w.pcg)
	for {
		select {
		case <-o.done:
			return
		case o.slots <- struct{}{}:
		}
		i := int(o.counter.Add(1) - 1)
		item := o.gen(&w, i)
		o.mu.Lock()
		o.pending[i] = item
		o.cond.Broadcast()
		o.mu.Unlock()
	}
}

// take returns the next item in order, waiting for it; false after close.
func (o *ordered[T]) take() (T, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for {
		select {
		case <-o.done:
			var zero T
			return zero, false
		default:
		}
		if item, ok := o.pending[o.next]; ok {
			delete(o.pending, o.next)
			o.next++
			<-o.slots
			return item, true
		}
		o.cond.Wait()
	}
}

// close stops the workers and waits for them; take then returns false. It
// is idempotent.
func (o *ordered[T]) close() {
	o.once.Do(func() {
		close(o.done)
		o.mu.Lock()
		o.cond.Broadcast()
		o.mu.Unlock()
		o.wg.Wait()
	})
}
