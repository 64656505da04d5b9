package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"causeway/api"
	"causeway/onnxfile"
	"causeway/onnxrt"
)

// Defaults of the Config fields left zero.
const (
	DefaultMaxBody = 8 << 20
	// DefaultMaxWorkBytes is the default bound on one prediction's
	// working memory.
	DefaultMaxWorkBytes = 1 << 30
	DefaultMaxQueue     = 64
	DefaultTimeout      = 10 * time.Second
)

// writeGrace is how much longer than Config.Timeout a response may take
// to write (http.Server.WriteTimeout), so that a request that times out
// still gets its 503.
const writeGrace = 5 * time.Second

// closeGrace is how long Serve, its listener closed, waits for kept-alive
// connections to take their last response (which carries Connection:
// close) before Shutdown closes the ones still idle.
const closeGrace = time.Second

// Config configures a Server.
type Config struct {
	// Models are the models to serve; their names (onnxrt.Model.Name) must
	// be distinct and usable in a URL path (onnxfile.CheckName).
	Models []*onnxrt.Model
	// Default names the model that answers /predict requests without a
	// "model" field; empty means the first of Models.
	Default string
	// Version is the causeway version reported by GET /v2 and the
	// causeway_build_info metric.
	Version string
	// MaxBody is the largest request body in bytes (default DefaultMaxBody,
	// 8 MiB); larger ones are answered 413.
	MaxBody int64
	// MaxConcurrency bounds the inference requests served at once (default
	// twice runtime.GOMAXPROCS).
	MaxConcurrency int
	// MaxQueue bounds the inference requests waiting for a slot (default
	// DefaultMaxQueue); beyond it requests are answered 503 at once.
	MaxQueue int
	// Timeout is every request's deadline (default DefaultTimeout), and
	// the http.Server's read timeout; its write timeout is 5 s longer.
	Timeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown in Serve (default
	// Timeout + 5 s).
	ShutdownTimeout time.Duration
	// Logger receives the access log (one Info record per request) and
	// server errors; nil discards them.
	Logger *slog.Logger
	// AuthToken, when set, is required as "Authorization: Bearer TOKEN" on
	// every endpoint but the health checks (compared in constant time);
	// others get 401.
	AuthToken string
	// TLSCert and TLSKey, when set, make Serve speak HTTPS with that
	// certificate and key (PEM files).
	TLSCert, TLSKey string
	// MaxWorkBytes bounds the estimated working memory of one prediction
	// (onnxrt.Model.WorkingBytes; default DefaultMaxWorkBytes); larger
	// requests get 413 before anything runs.
	MaxWorkBytes int64
	// Drain is how long Serve keeps answering after its context ends, with
	// readiness already 503, so load balancers stop sending before the
	// listener closes (default 0).
	Drain time.Duration
}

// Server serves a set of models over HTTP. Create it with New; it is an
// http.Handler, and Serve runs it on a listener.
type Server struct {
	cfg     Config
	log     *slog.Logger
	echo    *echo.Echo
	models  map[string]*entry
	order   []*entry
	def     *entry
	metrics *metrics
	lim     *limiter
	ready   atomic.Bool
	closing atomic.Bool // the listener is closed: responses end their connections
	bufs    sync.Pool   // *bytes.Buffer, request bodies and JSON
	outs    sync.Pool   // *[]byte, encoded responses
	routes  map[string]bool

	idPrefix string
	idNext   atomic.Uint64

	// Static responses, encoded once.
	serverMeta, modelList []byte
}

// entry is one served model.
type entry struct {
	m        *onnxrt.Model
	info     api.ModelInfo
	metadata []byte // GET /v2/models/{name}
}

// New checks cfg and builds a Server.
func New(cfg Config) (*Server, error) {
	if len(cfg.Models) == 0 {
		return nil, errors.New("serve: no models to serve")
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxConcurrency == 0 {
		cfg.MaxConcurrency = 2 * runtime.GOMAXPROCS(0)
	}
	if cfg.MaxQueue == 0 {
		cfg.MaxQueue = DefaultMaxQueue
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxWorkBytes == 0 {
		cfg.MaxWorkBytes = DefaultMaxWorkBytes
	}
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = cfg.Timeout + writeGrace
	}
	switch {
	case cfg.MaxBody < 0:
		return nil, fmt.Errorf("serve: max body %d: want a positive size", cfg.MaxBody)
	case cfg.MaxConcurrency < 0:
		return nil, fmt.Errorf("serve: max concurrency %d: want at least 1", cfg.MaxConcurrency)
	case cfg.MaxQueue < 0:
		return nil, fmt.Errorf("serve: max queue %d: want at least 1 (or 0 for the default)", cfg.MaxQueue)
	case cfg.Timeout < 0 || cfg.ShutdownTimeout < 0:
		return nil, fmt.Errorf("serve: timeout %s: want a positive duration", cfg.Timeout)
	}
	s := &Server{cfg: cfg, log: cfg.Logger, models: map[string]*entry{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i, m := range cfg.Models {
		if m == nil {
			return nil, fmt.Errorf("serve: model %d is nil", i)
		}
		name := m.Name()
		if err := onnxfile.CheckName(name); err != nil {
			return nil, fmt.Errorf("serve: %w (it appears in URL paths; re-export with causeway export --name)", err)
		}
		if _, dup := s.models[name]; dup {
			return nil, fmt.Errorf("serve: two models are named %q; give each export its own --name", name)
		}
		e := &entry{m: m, info: api.NewModelInfo(m)}
		s.models[name] = e
		s.order = append(s.order, e)
	}
	s.def = s.order[0]
	if cfg.Default != "" {
		if s.def = s.models[cfg.Default]; s.def == nil {
			return nil, fmt.Errorf("serve: default model %q is not loaded (loaded: %s)", cfg.Default, s.names())
		}
	}
	s.def.info.Default = true
	s.cfg.Default = s.def.m.Name()

	var err error
	if s.serverMeta, err = json.Marshal(api.ServerMetadata{Name: "causeway", Version: cfg.Version, Extensions: []string{api.BinaryExtension}}); err != nil {
		return nil, err
	}
	list := api.ModelList{Default: s.def.m.Name()}
	for _, e := range s.order {
		list.Models = append(list.Models, e.info)
		if e.metadata, err = json.Marshal(api.NewModelMetadata(e.m)); err != nil {
			return nil, err
		}
	}
	if s.modelList, err = json.Marshal(list); err != nil {
		return nil, err
	}

	var id [4]byte
	rand.Read(id[:])
	s.idPrefix = hex.EncodeToString(id[:]) + "-"
	s.bufs.New = func() any { return new(bytes.Buffer) }
	s.outs.New = func() any { return new([]byte) }
	s.metrics = newMetrics(cfg.Version, len(s.order))
	s.lim = newLimiter(cfg.MaxConcurrency, cfg.MaxQueue, s.metrics)
	s.echo = s.routing()
	s.ready.Store(true)
	return s, nil
}

// routing builds the echo instance.
func (s *Server) routing() *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.observe, s.recoverPanics, s.authorize, s.deadline)
	e.GET("/", s.page)
	e.POST("/draw", s.drawGraph, s.limit)
	e.POST("/predict", s.predict, s.limit)
	e.GET("/models", s.listModels)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
	})))
	e.GET("/v2", s.serverMetadata)
	e.GET("/v2/health/live", s.live)
	e.GET("/v2/health/ready", s.readyHandler)
	for _, p := range []string{"/v2/models/:name", "/v2/models/:name/versions/:version"} {
		e.GET(p, s.modelMetadata)
		e.GET(p+"/ready", s.modelReady)
		e.POST(p+"/infer", s.infer, s.limit)
	}
	s.routes = map[string]bool{}
	for _, r := range e.Routes() {
		s.routes[r.Path] = true
	}
	return e
}

// checkWork answers 413 when a prediction of b elements of rows samples
// over n variables, with q queries each on a data-set model (0 for sample
// pairs), would need more working memory than the limit.
func (s *Server) checkWork(m *onnxrt.Model, b, rows, n, q int) error {
	if need := m.WorkingBytes(b, rows, n, q); need > s.cfg.MaxWorkBytes {
		shape := fmt.Sprintf("B=%d, %d rows, N=%d", b, rows, n)
		advice := "send fewer instances or rows"
		if m.DataSet() {
			shape += fmt.Sprintf(", Q=%d queries", q)
			advice = "send fewer rows or interventions (do, and the data's own distinct interventions)"
		}
		return &httpError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("this request (%s) needs about %s of working memory, over the limit of %s (causeway serve --max-work): %s",
				shape, formatBytes(need), formatBytes(s.cfg.MaxWorkBytes), advice)}
	}
	return nil
}

// authorize requires the bearer token (Config.AuthToken) on every endpoint
// but the health checks and the page GET / (which holds no data).
func (s *Server) authorize(next echo.HandlerFunc) echo.HandlerFunc {
	if s.cfg.AuthToken == "" {
		return next
	}
	want := []byte("Bearer " + s.cfg.AuthToken)
	return func(c echo.Context) error {
		if p := c.Path(); strings.HasPrefix(p, "/v2/health/") || p == "/" {
			return next(c) // health checks, and the page (its API calls carry the token)
		}
		got := []byte(c.Request().Header.Get(echo.HeaderAuthorization))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="causeway"`)
			return &httpError{status: http.StatusUnauthorized, msg: "missing or wrong bearer token: send Authorization: Bearer TOKEN"}
		}
		return next(c)
	}
}

// ServeHTTP answers one HTTP request. Once the listener is closed at the
// end of a drain, every response carries Connection: close, so a kept-alive
// client learns with its answer that the connection ends, instead of
// sending its next request on a connection Shutdown closes under it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() {
		w.Header().Set("Connection", "close")
	}
	s.echo.ServeHTTP(w, r)
}

// Default returns the name of the model that answers requests that name
// none.
func (s *Server) Default() string { return s.def.m.Name() }

// Serve answers HTTP requests on ln until ctx ends, then shuts down
// gracefully, so that a client never has a connection reset under a
// request: GET /v2/health/ready turns 503 and requests keep being answered
// (on kept-alive connections too) for Config.Drain; then the listener
// closes (new connections are refused, never accepted and dropped), each
// kept-alive connection's next response carries Connection: close, and
// after at most a second for them Shutdown closes the connections still
// idle and lets requests in flight finish (for at most
// Config.ShutdownTimeout). Serve then returns nil; it returns an error if
// the server fails or the shutdown times out.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	var open atomic.Int64 // connections accepted and not yet closed
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.Timeout,
		ReadTimeout:       s.cfg.Timeout,
		WriteTimeout:      s.cfg.Timeout + writeGrace,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				open.Add(1)
			case http.StateClosed, http.StateHijacked:
				open.Add(-1)
			}
		},
	}
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLSCert != "" || s.cfg.TLSKey != "" {
			errc <- srv.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.ready.Store(false)
	if s.cfg.Drain > 0 {
		s.log.Info("draining: readiness is 503, still answering", slog.Duration("drain", s.cfg.Drain))
		select {
		case <-time.After(s.cfg.Drain):
		case err := <-errc:
			return fmt.Errorf("serve: %w", err)
		}
	}
	s.log.Info("shutting down: listener closed, finishing requests in flight", slog.Duration("timeout", s.cfg.ShutdownTimeout))
	s.closing.Store(true)
	ln.Close()
	<-errc // Serve returns once its listener is closed; the connections stay
	for end := time.Now().Add(min(closeGrace, s.cfg.ShutdownTimeout)); open.Load() > 0 && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	s.log.Info("shut down")
	return nil
}

func (s *Server) names() string {
	var b bytes.Buffer
	for i, e := range s.order {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.m.Name())
	}
	return b.String()
}

// lookup returns the model named name ("" is the default).
func (s *Server) lookup(name string) *entry {
	if name == "" {
		return s.def
	}
	return s.models[name]
}

// methodLabel is a request method as a metric label: the standard methods
// by name, anything else "other", so made-up methods cannot grow the
// metrics without bound.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "other"
}

// Context keys.
const (
	idKey    = "causeway.request_id"
	modelKey = "causeway.model"
	bodyKey  = "causeway.body" // the body limit read before taking a slot
)

// validID reports whether a client's X-Request-Id can be echoed: 1–128
// bytes of letters, digits and -_.:/+=.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':', c == '/', c == '+', c == '=':
		default:
			return false
		}
	}
	return true
}

func requestID(c echo.Context) string {
	id, _ := c.Get(idKey).(string)
	return id
}

// observe is the outermost middleware: request id, error responses,
// metrics and the access log.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		req := c.Request()
		id := req.Header.Get(echo.HeaderXRequestID)
		if !validID(id) {
			id = s.idPrefix + strconv.FormatUint(s.idNext.Add(1), 36)
		}
		c.Set(idKey, id)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		s.metrics.inFlight.Inc()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		s.metrics.inFlight.Dec()

		res := c.Response()
		endpoint := c.Path()
		if !s.routes[endpoint] {
			endpoint = "other"
		}
		code := codeLabel(res.Status)
		seconds := elapsed(start)
		s.metrics.requests.WithLabelValues(endpoint, methodLabel(req.Method), code).Inc()
		if res.Status >= 400 {
			s.metrics.errors.WithLabelValues(endpoint, code).Inc()
		}
		s.metrics.latency.WithLabelValues(endpoint).Observe(seconds)
		model, _ := c.Get(modelKey).(string)
		if model != "" {
			s.metrics.model.WithLabelValues(model, endpoint).Observe(seconds)
		}
		level := slog.LevelInfo
		if res.Status < 400 && (endpoint == "/metrics" || strings.HasPrefix(endpoint, "/v2/health/")) {
			level = slog.LevelDebug // probes and scrapes
		}
		if s.log.Enabled(req.Context(), level) {
			attrs := []slog.Attr{
				slog.String("id", id),
				slog.String("method", req.Method),
				slog.String("path", req.URL.Path),
				slog.Int("status", res.Status),
				slog.Int64("bytes_in", req.ContentLength),
				slog.Int64("bytes_out", res.Size),
				slog.Float64("ms", math.Round(seconds*1e6)/1e3),
				slog.String("remote", req.RemoteAddr),
			}
			if model != "" {
				attrs = append(attrs, slog.String("model", model))
			}
			if err != nil && res.Status >= 400 {
				attrs = append(attrs, slog.String("error", err.Error()))
			}
			s.log.LogAttrs(context.Background(), level, "request", attrs...)
		}
		return nil
	}
}

// readBody reads the request body, at most Config.MaxBody bytes, into a
// pooled buffer; give it back with putBuffer.
func (s *Server) readBody(c echo.Context) (*bytes.Buffer, error) {
	if b, ok := c.Get(bodyKey).(*bytes.Buffer); ok {
		c.Set(bodyKey, nil) // handed over once
		return b, nil
	}
	req := c.Request()
	if req.ContentLength > s.cfg.MaxBody {
		return nil, &httpError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("request body too large: %d bytes, the limit is %s (causeway serve --max-body)", req.ContentLength, formatBytes(s.cfg.MaxBody))}
	}
	buf := s.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	if req.ContentLength > 0 {
		buf.Grow(int(req.ContentLength) + 1)
	}
	var body io.Reader = http.MaxBytesReader(c.Response(), req.Body, s.cfg.MaxBody)
	switch enc := strings.ToLower(strings.TrimSpace(req.Header.Get(echo.HeaderContentEncoding))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			s.putBuffer(buf)
			return nil, &httpError{status: http.StatusBadRequest, msg: "the body is not valid gzip (Content-Encoding: gzip)", cause: err}
		}
		defer zr.Close()
		// The decompressed body is bounded too: a small bomb must not
		// expand without end.
		body = io.LimitReader(zr, s.cfg.MaxBody+1)
	default:
		s.putBuffer(buf)
		return nil, &httpError{status: http.StatusUnsupportedMediaType, msg: fmt.Sprintf("Content-Encoding %q is not supported (send identity or gzip)", enc)}
	}
	_, err := buf.ReadFrom(body)
	if err == nil && int64(buf.Len()) > s.cfg.MaxBody {
		s.putBuffer(buf)
		return nil, &httpError{status: http.StatusRequestEntityTooLarge,
			msg: fmt.Sprintf("request body too large once decompressed: over the limit of %s (causeway serve --max-body)", formatBytes(s.cfg.MaxBody))}
	}
	if err != nil {
		s.putBuffer(buf)
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return nil, err
		}
		// The cause (with socket addresses) goes to the log only.
		return nil, &httpError{status: http.StatusBadRequest, msg: "reading the request body failed (a timeout, a broken connection or corrupt compressed data)", cause: err}
	}
	return buf, nil
}

// maxPooled is the largest buffer kept for reuse.
const maxPooled = 1 << 20

func (s *Server) putBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooled {
		s.bufs.Put(b)
	}
}

// writeJSON answers with v as JSON.
func (s *Server) writeJSON(c echo.Context, status int, v any) error {
	buf := s.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer s.putBuffer(buf)
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return fmt.Errorf("encoding the response: %w", err)
	}
	return s.writeBlob(c, status, buf.Bytes())
}

// writeEncoded answers with the JSON text enc appends to a pooled buffer.
func (s *Server) writeEncoded(c echo.Context, status int, enc func([]byte) []byte) error {
	return s.writeEncodedAs(c, status, echo.MIMEApplicationJSON, enc)
}

// writeEncodedAs answers with the bytes enc appends to a pooled buffer,
// as contentType.
func (s *Server) writeEncodedAs(c echo.Context, status int, contentType string, enc func([]byte) []byte) error {
	p := s.outs.Get().(*[]byte)
	b := enc((*p)[:0])
	err := blob(c, status, contentType, b)
	if cap(b) <= maxPooled {
		*p = b
		s.outs.Put(p)
	}
	return err
}

// writeBlob answers with the JSON text b.
func (s *Server) writeBlob(c echo.Context, status int, b []byte) error {
	return blob(c, status, echo.MIMEApplicationJSON, b)
}

// blob answers with b as contentType, with its Content-Length.
func blob(c echo.Context, status int, contentType string, b []byte) error {
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(b)))
	return c.Blob(status, contentType, b)
}
