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

// limit is the semaphore middleware of the inference endpoints: a
// request holds one executor slot from the end of its body to its answer.
// The body is read first (under the read timeout), so a client that sends
// slowly holds a connection, never a slot.
func (s *Server) limit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		body, err := s.readBody(c)
		if err != nil {
			return err
		}
		c.Set(bodyKey, body)
		if err := s.lim.acquire(c.Request().Context()); err != nil {
			s.putBuffer(body)
			return err
		}
		defer s.lim.release()
		return next(c)
	}
}

// run calls f with the request's context on the request's own goroutine
// (no hand-off: with one client a second goroutine cost about 3% of the
// server's CPU in scheduler wake-ups). f must return soon after ctx ends,
// as onnxrt.Model.RunContext does (it stops between nodes). A panic in f
// is returned as an error (the request then answers 500). A run stopped by
// the request's deadline answers 503; one stopped because the client went
// away, 499. Since the run stops, the request's slot is free again when
// the answer is: the executor never runs more than MaxConcurrency
// predictions, and a timed-out one does not keep a core busy.
func (s *Server) run(c echo.Context, f func(ctx context.Context) error) error {
	ctx := c.Request().Context()
	err := call(func() error { return f(ctx) })
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		if errors.Is(ctxErr, context.DeadlineExceeded) {
			s.metrics.rejected.WithLabelValues("run_timeout").Inc()
		}
		return contextError(ctx, fmt.Sprintf("the prediction did not finish within the server's %s deadline (causeway serve --timeout); send fewer instances or samples",
			s.cfg.Timeout), false)
	}
	return err
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
