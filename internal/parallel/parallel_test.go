package parallel

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunCallsEveryTaskOnce(t *testing.T) {
	cases := []struct{ workers, tasks int }{
		{0, 5}, {1, 5}, {2, 1}, {2, 2}, {2, 7}, {3, 100}, {8, 3}, {4, 0}, {2, -1}, {1000, 2000},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("workers=%d/tasks=%d", c.workers, c.tasks), func(t *testing.T) {
			for range 50 { // repeated: parked and spinning workers both
				calls := make([]atomic.Int32, max(c.tasks, 0))
				Run(c.workers, c.tasks, func(i int) { calls[i].Add(1) })
				for i := range calls {
					if n := calls[i].Load(); n != 1 {
						t.Fatalf("task %d ran %d times", i, n)
					}
				}
			}
		})
	}
}

func TestRunWithOneWorkerRunsInOrder(t *testing.T) {
	var order []int
	Run(1, 5, func(i int) { order = append(order, i) })
	if fmt.Sprint(order) != "[0 1 2 3 4]" {
		t.Fatalf("order %v, want [0 1 2 3 4]", order)
	}
}

// TestRunReturnsAfterEveryTask checks that Run does not return while a
// task (here a slow one on a helper) is still running.
func TestRunReturnsAfterEveryTask(t *testing.T) {
	for range 20 {
		var finished atomic.Int32
		Run(2, 2, func(i int) {
			if i == 1 {
				time.Sleep(2 * time.Millisecond)
			}
			finished.Add(1)
		})
		if n := finished.Load(); n != 2 {
			t.Fatalf("Run returned with %d of 2 tasks finished", n)
		}
	}
}

func TestRunConcurrentAndNested(t *testing.T) {
	var wg sync.WaitGroup
	var total atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for range 20 {
				Run(3, 4, func(i int) {
					// Nested: the pool is taken, so this gets goroutines.
					Run(2, 3, func(k int) { total.Add(int64(1 + g*0)) })
				})
			}
		})
	}
	wg.Wait()
	if want := int64(8 * 20 * 4 * 3); total.Load() != want {
		t.Fatalf("%d task calls, want %d", total.Load(), want)
	}
}

func TestRunPanicsOnTheCaller(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			var ran atomic.Int32
			got := func() (r any) {
				defer func() { r = recover() }()
				Run(workers, 6, func(i int) {
					ran.Add(1)
					if i == 3 {
						panic("task 3 failed")
					}
				})
				return nil
			}()
			if got != "task 3 failed" {
				t.Fatalf("recovered %v, want the task's panic", got)
			}
			if workers > 1 && ran.Load() != 6 {
				t.Fatalf("%d tasks ran, want all 6", ran.Load())
			}
			// The pool still works afterwards.
			var n atomic.Int32
			Run(workers, 10, func(int) { n.Add(1) })
			if n.Load() != 10 {
				t.Fatalf("after a panic: %d of 10 tasks ran", n.Load())
			}
		})
	}
}

// TestParkedWorkersWake lets the workers park (longer than spinFor
// between loops) and checks that they are woken and take part.
func TestParkedWorkersWake(t *testing.T) {
	Run(3, 3, func(int) {})
	for range 5 {
		time.Sleep(2 * spinFor)
		var mu sync.Mutex
		seen := map[int64]bool{}
		var started sync.WaitGroup
		started.Add(3)
		Run(3, 3, func(i int) {
			// Every task waits for the other two, so the loop finishes
			// only if three goroutines run at once.
			started.Done()
			started.Wait()
			mu.Lock()
			seen[int64(i)] = true
			mu.Unlock()
		})
		if len(seen) != 3 {
			t.Fatalf("%d tasks ran", len(seen))
		}
	}
}

func BenchmarkRun(b *testing.B) {
	var sink [2]atomic.Int64
	for _, gap := range []time.Duration{0, 50 * time.Microsecond, time.Millisecond} {
		b.Run(fmt.Sprint("gap=", gap), func(b *testing.B) {
			for range b.N {
				Run(2, 2, func(i int) { sink[i].Add(1) })
				if gap > 0 {
					for t0 := time.Now(); time.Since(t0) < gap; {
					}
				}
			}
		})
	}
}

// TestRunAfterGoexit: a task that ends its goroutine with runtime.Goexit
// (t.Fatal in a test does) must not leave the pool locked. On a pool of
// its own, since the helper that runs such a task is gone for good.
func TestRunAfterGoexit(t *testing.T) {
	var p pool
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.loopOf(2, 2, func(int) { runtime.Goexit() })
	}()
	<-done
	if !p.busy.TryLock() {
		t.Fatal("the pool is still taken after a task's Goexit")
	}
	p.busy.Unlock()
	var n atomic.Int32
	p.loopOf(2, 8, func(int) { n.Add(1) })
	if n.Load() != 8 {
		t.Fatalf("after a Goexit: %d of 8 tasks ran", n.Load())
	}
}
