// Package parallel runs the tasks of one loop across the cores, on the
// calling goroutine and on a pool of worker goroutines that stay awake for
// a short while between loops.
//
// A training step is a chain of a hundred or so parallel loops (matrix
// products, LayerNorm, dropout masks, attention) separated by short serial
// stretches. Handing each loop to fresh goroutines leaves the other cores'
// threads asleep in between, and waking a sleeping thread took about 100 µs
// on the 2-core virtual machines causeway is measured on: a loop of 250 µs
// then ran mostly on one core. The pool's workers spin for spinFor after
// each loop before they park, as OpenMP runtimes do, so the next loop finds
// them awake; a loop that starts while another goroutine holds the pool
// (or from inside one of its tasks) gets goroutines of its own instead.
//
// Which goroutine runs which task is not fixed, but every task is run
// exactly once, so a loop whose tasks write disjoint results gives the same
// bits however many workers take part.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// spinFor is how long a worker keeps polling for the next loop before it
// parks. The gaps between the loops of a training step are mostly a few
// tens of microseconds; a worker that finds nothing to do in this time
// costs at most this much CPU before it sleeps.
const spinFor = 200 * time.Microsecond

// maxWorkers bounds the pool, whatever a caller asks for.
const maxWorkers = 255

// Run calls task(i) once for every i in [0, tasks) on up to workers
// goroutines (the caller's and workers−1 others) and returns when every
// call has returned. With workers ≤ 1 or a single task it runs them in
// order on the calling goroutine, where a panic goes up as it is. With more,
// if a task panics the other tasks still run and Run then panics on the
// calling goroutine with the first value (the task's stack is not kept).
func Run(workers, tasks int, task func(i int)) { shared.loopOf(workers, tasks, task) }

// loopOf is Run on pool p.
func (p *pool) loopOf(workers, tasks int, task func(i int)) {
	if tasks <= 0 {
		return
	}
	workers = min(workers, tasks, maxWorkers+1)
	if workers <= 1 {
		for i := range tasks {
			task(i)
		}
		return
	}
	j := &job{task: task, tasks: int64(tasks), helpers: workers - 1}
	if p.busy.TryLock() {
		func() {
			defer p.busy.Unlock() // also if a task calls runtime.Goexit
			p.run(j)
		}()
	} else {
		// The pool is taken (another loop, or this is one of its tasks):
		// goroutines of our own.
		var wg sync.WaitGroup
		for range j.helpers {
			wg.Go(j.work)
		}
		j.work()
		wg.Wait()
	}
	if p := j.panicked.Load(); p != nil {
		panic(p.value)
	}
}

// job is one loop: its tasks are claimed one at a time through next.
type job struct {
	task     func(int)
	tasks    int64
	helpers  int // how many pool workers may take part
	next     atomic.Int64
	done     atomic.Int64
	panicked atomic.Pointer[panicValue]
}

type panicValue struct{ value any }

// work claims and runs tasks until none is left.
func (j *job) work() {
	for {
		i := j.next.Add(1) - 1
		if i >= j.tasks {
			return
		}
		j.runTask(int(i))
	}
}

func (j *job) runTask(i int) {
	defer func() {
		if r := recover(); r != nil {
			j.panicked.CompareAndSwap(nil, &panicValue{r})
		}
		j.done.Add(1)
	}()
	j.task(i)
}

// pool is the process's workers. busy is held by the one Run that uses
// them; workers is read and grown only under it.
type pool struct {
	busy    sync.Mutex
	workers []*worker
	current atomic.Pointer[job]
	seq     atomic.Uint64 // bumped when current is replaced
}

// worker is one pool goroutine. parked is set while it sleeps (or is
// about to) on wake; whoever clears it from true sends the one token that
// wakes it.
type worker struct {
	parked atomic.Bool
	wake   chan struct{}
}

var shared pool

// run publishes j, wakes parked workers, takes part, and waits for the
// last task to finish.
func (p *pool) run(j *job) {
	for len(p.workers) < j.helpers {
		w := &worker{wake: make(chan struct{}, 1)}
		p.workers = append(p.workers, w)
		go p.loop(w, len(p.workers)-1)
	}
	p.current.Store(j)
	p.seq.Add(1)
	for _, w := range p.workers[:j.helpers] {
		if w.parked.CompareAndSwap(true, false) {
			w.wake <- struct{}{}
		}
	}
	j.work()
	for n := 0; j.done.Load() < j.tasks; n++ {
		if n > 1<<12 {
			runtime.Gosched() // a helper was descheduled mid-task
		}
	}
	// Every task has returned and no claim can succeed any more: the
	// closure (and what it holds) need not live until the next loop.
	j.task = nil
}

// loop is worker index's life: wait for a loop, help if it wants this
// many helpers, repeat. A worker the last loop did not want (the pool
// grew for a wider loop earlier) parks at once instead of polling, so it
// does not hold a core that the loop's helpers need.
func (p *pool) loop(w *worker, index int) {
	var seen uint64
	spin := true
	for {
		seen = p.await(w, seen, spin)
		j := p.current.Load()
		spin = index < j.helpers
		if spin {
			j.work()
		}
	}
}

// await returns the sequence number of a loop newer than seen: polling
// for spinFor when spin is set, then asleep until a Run wakes the worker.
func (p *pool) await(w *worker, seen uint64, spin bool) uint64 {
	start := time.Now()
	for n := 1; spin; n++ {
		if s := p.seq.Load(); s != seen {
			return s
		}
		if n%256 == 0 && time.Since(start) > spinFor {
			break
		}
	}
	for {
		w.parked.Store(true)
		if s := p.seq.Load(); s != seen {
			if !w.parked.CompareAndSwap(true, false) {
				<-w.wake // a Run cleared the flag first: take its token
			}
			return s
		}
		<-w.wake
		if s := p.seq.Load(); s != seen {
			return s
		}
	}
}
