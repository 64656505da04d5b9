package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"causeway/api"
)

// httpError is an error with the status it answers with.
type httpError struct {
	status     int
	msg        string
	field      string
	retryAfter bool  // add Retry-After: 1
	cause      error // logged, not sent
}

func (e *httpError) Error() string { return e.msg }

func (e *httpError) Unwrap() error { return e.cause }

// badRequest turns a decoding or validation error into a 400 (an
// *api.Error keeps its field).
func badRequest(err error) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return &httpError{status: http.StatusBadRequest, msg: ae.Error(), field: ae.Field}
	}
	return &httpError{status: http.StatusBadRequest, msg: err.Error()}
}

// fieldError is a 400 for field with the formatted problem.
func fieldError(field, format string, args ...any) error {
	return badRequest(&api.Error{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// statusClientClosed is the status logged when the client went away
// before the answer (nginx's 499); nobody receives it.
const statusClientClosed = 499

// contextError is the answer when ctx ended: the client went away, or the
// deadline passed (then 503 with msg).
func contextError(ctx context.Context, msg string, retryAfter bool) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &httpError{status: statusClientClosed, msg: "the client closed the request", cause: ctx.Err()}
	}
	return &httpError{status: http.StatusServiceUnavailable, msg: msg, retryAfter: retryAfter, cause: ctx.Err()}
}

// panicError is a recovered panic.
type panicError struct {
	value any
	stack []byte
}

func (e *panicError) Error() string { return fmt.Sprintf("panic: %v", e.value) }

// handleError is the echo HTTPErrorHandler: it writes every error as
// {"error": "..."} with its status and logs server errors.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	id := requestID(c)
	status, body := http.StatusInternalServerError, api.ErrorBody{RequestID: id}
	var he *httpError
	var ee *echo.HTTPError
	var pe *panicError
	var mb *http.MaxBytesError
	switch {
	case errors.As(err, &he):
		status, body.Error, body.Field = he.status, he.msg, he.field
		if he.retryAfter {
			c.Response().Header().Set("Retry-After", "1")
		}
	case errors.As(err, &mb):
		status = http.StatusRequestEntityTooLarge
		body.Error = fmt.Sprintf("request body too large: the limit is %s (causeway serve --max-body)", formatBytes(mb.Limit))
	case errors.As(err, &ee):
		status = ee.Code
		body.Error = s.routeError(c, ee)
	case errors.As(err, &pe):
		body.Error = fmt.Sprintf("internal error: the server failed on this request (request id %s); its log has the details", id)
	default:
		// Internals (node names, paths) go to the log, not to the client.
		body.Error = fmt.Sprintf("internal error: the server failed on this request (request id %s); its log has the details", id)
	}
	if status >= 500 {
		attrs := []any{slog.String("request_id", id), slog.String("error", err.Error())}
		if pe != nil {
			attrs = append(attrs, slog.String("stack", string(pe.stack)))
		}
		s.log.Error("request failed", attrs...)
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	s.writeJSON(c, status, body)
}

// routeError explains an echo routing error (no such endpoint, wrong
// method).
func (s *Server) routeError(c echo.Context, e *echo.HTTPError) string {
	r := c.Request()
	switch e.Code {
	case http.StatusNotFound:
		return fmt.Sprintf("no endpoint %s %s; the endpoints are POST /predict, GET /models, GET /metrics, GET /v2, "+
			"GET /v2/health/live, GET /v2/health/ready, GET /v2/models/{name}, GET /v2/models/{name}/ready, POST /v2/models/{name}/infer",
			r.Method, r.URL.Path)
	case http.StatusMethodNotAllowed:
		var methods []string
		for _, m := range strings.Split(c.Response().Header().Get("Allow"), ",") {
			if m = strings.TrimSpace(m); m != "" && m != http.MethodOptions {
				methods = append(methods, m)
			}
		}
		allow := strings.Join(methods, ", ")
		if allow == "" {
			return fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)
		}
		return fmt.Sprintf("method %s is not allowed on %s (use %s)", r.Method, r.URL.Path, allow)
	}
	if msg, ok := e.Message.(string); ok {
		return msg
	}
	return http.StatusText(e.Code)
}

// formatBytes writes a byte count the way --max-body reads it.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
