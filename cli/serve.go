package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"causeway/models"

	"github.com/urfave/cli/v2"

	"causeway/onnxrt"
	"causeway/serve"
)

// defaultModels returns the models `causeway serve` serves when --models is
// not given: the default models embedded in the binary (package models),
// the sample-pair model first (the default for sample-pair requests; data
// sets go to the data-set model).
var defaultModels = func() ([]*onnxrt.Model, error) {
	var out []*onnxrt.Model
	for _, e := range []struct {
		name string
		data []byte
	}{{models.DefaultName, models.Default()}, {models.DataSetName, models.DataSet()}} {
		m, err := onnxrt.LoadBytes(e.name, e.data)
		if err != nil {
			return nil, fmt.Errorf("embedded default model %s: %w", e.name, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// serveCommand is `causeway serve`: the REST sidecar.
func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve exported models over REST: POST /predict, Open Inference Protocol v2, /models, /metrics",
		Description: "Loads every .onnx file under --models (a model is named by its export's --name, else its file name\n" +
			"without .onnx; files that do not load, are larger than --max-model-size or take longer than\n" +
			"--model-load-timeout to load are skipped with a warning, and serve refuses to start if none loads).\n" +
			"Without --models it serves the default models embedded in the binary (model-a, model-f).\n" +
			"\n" +
			"Endpoints: POST /predict ({base_samples, int_samples, intervened_node | int_mask, target_row?, variables?,\n" +
			"threshold?, model?} or {\"instances\": [...]}; a whole data set for a data-set model: {\"data\":\n" +
			"{variables?, rows, intervened?}, do?, threshold?, dag?, model?}), GET /models, GET /metrics (Prometheus),\n" +
			"and the Open\n" +
			"Inference Protocol v2: GET /v2, /v2/health/live, /v2/health/ready, /v2/models/NAME, /v2/models/NAME/ready,\n" +
			"POST /v2/models/NAME/infer. Errors are 4xx/5xx with {\"error\": \"...\"}. At most --max-concurrency\n" +
			"predictions run at once and --max-queue wait; beyond that, or past --timeout, the answer is 503 with\n" +
			"Retry-After. SIGTERM or SIGINT shuts down gracefully: readiness turns 503, requests keep being answered\n" +
			"for --drain, then the listener closes, kept-alive connections end with their next response and requests\n" +
			"in flight finish. --auth-token-file requires a bearer\n" +
			"token (health checks stay open); --tls-cert and --tls-key serve HTTPS.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "models", Usage: "serve every .onnx file under `DIR` (default: the model embedded in the binary)"},
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen on `HOST:PORT` (port 0 picks a free one; the log says which)"},
			&cli.StringFlag{Name: "default", Usage: "the model `NAME` that answers /predict requests without \"model\" (default: the first loaded)"},
			&cli.StringFlag{Name: "max-body", Value: "8MiB", Usage: "largest request body, e.g. 8MiB, 512KiB or a byte count; larger ones get 413"},
			&cli.IntFlag{Name: "max-concurrency", Value: 2 * runtime.GOMAXPROCS(0), Usage: "predictions served at once (default: 2 × cores)"},
			&cli.IntFlag{Name: "max-queue", Value: serve.DefaultMaxQueue, Usage: "predictions waiting for a slot; beyond it requests get 503 at once"},
			&cli.DurationFlag{Name: "timeout", Value: serve.DefaultTimeout, Usage: "per-request deadline, and the read timeout (the write timeout is 5s longer)"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "log level: debug, info (one access-log line per request), warn or error"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log format: text or json"},
			&cli.StringFlag{Name: "auth-token-file", Usage: "require \"Authorization: Bearer TOKEN\" on every endpoint but the health checks, TOKEN read from `FILE`"},
			&cli.StringFlag{Name: "tls-cert", Usage: "serve HTTPS with this certificate `FILE` (PEM; with --tls-key)"},
			&cli.StringFlag{Name: "tls-key", Usage: "the private key `FILE` of --tls-cert (PEM)"},
			&cli.StringFlag{Name: "memory-limit", Value: "4GiB", Usage: "soft limit of the Go heap (as GOMEMLIMIT; the collector works harder near it), e.g. 4GiB; 0: none"},
			&cli.StringFlag{Name: "max-work", Value: "1GiB", Usage: "largest estimated working memory of one prediction, e.g. 1GiB or 512MiB; larger requests get 413"},
			maxModelSizeFlag(),
			&cli.DurationFlag{Name: "model-load-timeout", Value: serve.DefaultLoadTimeout, Usage: "skip (with a warning) a model file whose load, checks and smoke run take longer than this"},
			&cli.DurationFlag{Name: "drain", Value: 3 * time.Second, Usage: "on SIGTERM, keep answering this long with readiness already 503 before closing the listener"},
		},
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q (use --models DIR)", c.Args().First())
	}
	logger, err := serveLogger(c.App.ErrWriter, c.String("log-level"), c.String("log-format"))
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	maxBody, err := parseSize(c.String("max-body"))
	if err != nil {
		return fmt.Errorf("serve: --max-body: %w", err)
	}
	if n := c.Int("max-concurrency"); n < 1 {
		return fmt.Errorf("serve: --max-concurrency %d: want at least 1", n)
	}
	if n := c.Int("max-queue"); n < 1 {
		return fmt.Errorf("serve: --max-queue %d: want at least 1", n)
	}
	if d := c.Duration("timeout"); d <= 0 {
		return fmt.Errorf("serve: --timeout %s: want a positive duration such as 10s", d)
	}

	loadOpts, err := modelLoadOptions(c)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if d := c.Duration("model-load-timeout"); d <= 0 {
		return fmt.Errorf("serve: --model-load-timeout %s: want a positive duration such as 60s", d)
	}

	var models []*onnxrt.Model
	if dir := c.String("models"); dir != "" {
		var skipped []*serve.LoadError
		models, skipped, err = serve.LoadDirWith(dir, serve.LoadOptions{MaxFileBytes: loadOpts.MaxFileBytes, Timeout: c.Duration("model-load-timeout")})
		for _, s := range skipped {
			logger.Warn("skipping a model file", slog.String("path", s.Path), slog.String("error", s.Err.Error()))
		}
		if err != nil {
			return fmt.Errorf("serve: --models: %w", err)
		}
	} else if models, err = defaultModels(); err != nil {
		return fmt.Errorf("serve: %w (export one with causeway export and pass --models DIR)", err)
	}
	debug.FreeOSMemory() // give back what parsing the protobufs took

	maxWork, err := parseSize(c.String("max-work"))
	if err != nil {
		return fmt.Errorf("serve: --max-work: %w", err)
	}
	if c.String("memory-limit") != "0" {
		limit, err := parseSize(c.String("memory-limit"))
		if err != nil {
			return fmt.Errorf("serve: --memory-limit: %w", err)
		}
		if os.Getenv("GOMEMLIMIT") == "" || c.IsSet("memory-limit") {
			debug.SetMemoryLimit(limit)
		}
	}
	token := ""
	if path := c.String("auth-token-file"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("serve: --auth-token-file: %w", err)
		}
		if token = strings.TrimSpace(string(b)); len(token) < 16 {
			return fmt.Errorf("serve: --auth-token-file %s: the token has %d characters; use at least 16", path, len(token))
		}
	}
	if (c.String("tls-cert") == "") != (c.String("tls-key") == "") {
		return fmt.Errorf("serve: give both --tls-cert and --tls-key, or neither")
	}
	srv, err := serve.New(serve.Config{
		Models:         models,
		Default:        c.String("default"),
		Version:        c.App.Version,
		MaxBody:        maxBody,
		MaxConcurrency: c.Int("max-concurrency"),
		MaxQueue:       c.Int("max-queue"),
		Timeout:        c.Duration("timeout"),
		Logger:         logger,
		AuthToken:      token,
		TLSCert:        c.String("tls-cert"),
		TLSKey:         c.String("tls-key"),
		Drain:          c.Duration("drain"),
		MaxWorkBytes:   maxWork,
	})
	if err != nil {
		if c.IsSet("default") {
			return fmt.Errorf("%w (--default)", err)
		}
		return err
	}
	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		return fmt.Errorf("serve: --addr: %w", err)
	}
	for _, m := range models {
		cfg := m.Config()
		logger.Info("model loaded", slog.String("name", m.Name()), slog.String("variant", string(cfg.Variant)),
			slog.Int("max_nodes", cfg.MaxNodes), slog.Bool("default", m.Name() == srv.Default()), slog.String("plan", m.Plan()))
	}
	logger.Info("listening", slog.String("addr", ln.Addr().String()), slog.String("version", c.App.Version),
		slog.Int("models", len(models)), slog.Int("max_concurrency", c.Int("max-concurrency")),
		slog.String("max_body", c.String("max-body")), slog.Duration("timeout", c.Duration("timeout")))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	return srv.Serve(ctx, ln)
}

// serveLogger returns the server's slog logger on w.
func serveLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// parseSize reads a byte count: a number with an optional unit B, KB, MB,
// GB (powers of 1000) or KiB, MiB, GiB (powers of 1024), in any case.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') && t[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(t[:i]), strings.ToLower(strings.TrimSpace(t[i:]))
	mult := map[string]float64{"": 1, "b": 1, "k": 1 << 10, "kb": 1e3, "kib": 1 << 10, "m": 1 << 20, "mb": 1e6, "mib": 1 << 20,
		"g": 1 << 30, "gb": 1e9, "gib": 1 << 30}[unit]
	v, err := strconv.ParseFloat(num, 64)
	if strings.Trim(num, "0123456789.") != "" {
		err = strconv.ErrSyntax
	}
	if err != nil || mult == 0 || !(v > 0) || v*mult > 1<<40 || v*mult < 1 {
		return 0, fmt.Errorf("%q is not a size such as 8MiB, 512KiB or 1048576 (bytes)", s)
	}
	return int64(v * mult), nil
}
