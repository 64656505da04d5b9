package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// limiter admits at most cap(slots) inference requests at once, with at
// most maxQueue more waiting for a slot.
type limiter struct {
	slots    chan struct{}
	waiting  atomic.Int64
	maxQueue int64
	m        *metrics
}

func newLimiter(slots, maxQueue int, m *metrics) *limiter {
	return &limiter{slots: make(chan struct{}, slots), maxQueue: int64(maxQueue), m: m}
}

// acquire takes a slot, waiting while fewer than maxQueue others wait and
// ctx lasts.
func (l *limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	if l.waiting.Add(1) > l.maxQueue {
		l.waiting.Add(-1)
		l.m.rejected.WithLabelValues("saturated").Inc()
		return &httpError{status: http.StatusServiceUnavailable, retryAfter: true,
			msg: fmt.Sprintf("server saturated: %d predictions running and %d waiting; retry later (causeway serve --max-concurrency, --max-queue)",
				cap(l.slots), l.maxQueue)}
	}
	l.m.queued.Inc()
	defer func() {
		l.waiting.Add(-1)
		l.m.queued.Dec()
	}()
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		err := contextError(ctx, fmt.Sprintf("server busy: no executor slot came free before the request's deadline (%d slots, causeway serve --timeout); retry later", cap(l.slots)), true)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			l.m.rejected.WithLabelValues("queue_timeout").Inc()
		}
		return err
	}
}

func (l *limiter) release() { <-l.slots }

// ticketKey is the echo.Context key of a request's *ticket.
const ticketKey = "causeway.ticket"

// Ticket states: the handler holds the slot, a run detached at the
// deadline holds it, or the run finished and the handler holds it.
const (
	ticketHeld int32 = iota
	ticketDetached
	ticketFinished
)

// ticket is a request's executor slot. It is released when the request
// ends, unless a run outlived the request's deadline: then the run
// releases it when it returns.
type ticket struct {
	l     *limiter
	state atomic.Int32
}

// limit is the semaphore middleware of the inference endpoints.
func (s *Server) limit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.lim.acquire(c.Request().Context()); err != nil {
			return err
		}
		t := &ticket{l: s.lim}
		c.Set(ticketKey, t)
		defer func() {
			if t.state.Load() != ticketDetached {
				t.l.release()
			}
		}()
		return next(c)
	}
}

// run calls f on its own goroutine and waits for it or for the request's
// deadline, whichever comes first. A panic in f is returned as an error
// (the request then answers 500). At the deadline run answers 503 and
// leaves the request's slot to f, which keeps running and releases the
// slot when it returns: the executor never runs more than MaxConcurrency
// predictions. Call it at most once per request.
func (s *Server) run(c echo.Context, f func() error) error {
	t, _ := c.Get(ticketKey).(*ticket)
	ctx := c.Request().Context()
	done := make(chan error, 1)
	s.runners.Add(1)
	go func() {
		defer s.runners.Done()
		err := call(f)
		if t != nil && !t.state.CompareAndSwap(ticketHeld, ticketFinished) {
			t.l.release() // detached: the request has answered already
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		if t == nil || !t.state.CompareAndSwap(ticketHeld, ticketDetached) {
			return <-done // finished just now
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			s.metrics.rejected.WithLabelValues("run_timeout").Inc()
		}
		return contextError(ctx, fmt.Sprintf("the prediction did not finish within the server's %s deadline (causeway serve --timeout); send fewer instances or samples",
			s.cfg.Timeout), false)
	}
}

// call calls f, turning a panic into a *panicError.
func call(f func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return f()
}

// deadline gives every request a context that ends after the server's
// timeout.
func (s *Server) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.Timeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// recoverPanics turns a panic in a handler into a 500.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err = &panicError{value: v, stack: debug.Stack()}
			}
		}()
		return next(c)
	}
}

// elapsed is the time since start in seconds.
func elapsed(start time.Time) float64 { return time.Since(start).Seconds() }
