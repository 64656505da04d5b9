package serve

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"causeway/api"
	"causeway/onnxfile"
	"causeway/onnxrt"
)

func (s *Server) listModels(c echo.Context) error { return s.writeBlob(c, http.StatusOK, s.modelList) }

func (s *Server) serverMetadata(c echo.Context) error {
	return s.writeBlob(c, http.StatusOK, s.serverMeta)
}

// live answers 200 with an empty body (OIP: the status is the answer).
func (s *Server) live(c echo.Context) error { return c.NoContent(http.StatusOK) }

func (s *Server) readyHandler(c echo.Context) error {
	if !s.ready.Load() {
		return &httpError{status: http.StatusServiceUnavailable, msg: "shutting down"}
	}
	return c.NoContent(http.StatusOK)
}

// pathModel returns the model of a /v2/models/{name}[/versions/{version}]
// path, or a 404.
func (s *Server) pathModel(c echo.Context) (*entry, error) {
	name := c.Param("name")
	e := s.models[name]
	if e == nil {
		return nil, &httpError{status: http.StatusNotFound, field: "name",
			msg: fmt.Sprintf("unknown model %q (loaded: %s)", name, s.names())}
	}
	if v := c.Param("version"); v != "" && v != api.ModelVersion {
		return nil, &httpError{status: http.StatusNotFound, field: "version",
			msg: fmt.Sprintf("model %s has no version %q (its only version is %s)", name, v, api.ModelVersion)}
	}
	c.Set(modelKey, name)
	return e, nil
}

func (s *Server) modelMetadata(c echo.Context) error {
	e, err := s.pathModel(c)
	if err != nil {
		return err
	}
	return s.writeBlob(c, http.StatusOK, e.metadata)
}

func (s *Server) modelReady(c echo.Context) error {
	if _, err := s.pathModel(c); err != nil {
		return err
	}
	return s.readyHandler(c)
}

// LoadError is a file LoadDir could not serve.
type LoadError struct {
	Path string // the .onnx file
	Err  error  // why it is not served
}

func (e *LoadError) Error() string {
	if msg := e.Err.Error(); strings.Contains(msg, e.Path) {
		return msg
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *LoadError) Unwrap() error { return e.Err }

// DefaultLoadTimeout is the default bound on loading one model file
// (LoadOptions.Timeout).
const DefaultLoadTimeout = 60 * time.Second

// LoadOptions bound LoadDirWith's work on each model file.
type LoadOptions struct {
	// MaxFileBytes bounds each file's size (onnxrt.LoadOptions; 0 means
	// onnxrt.MaxFileBytes, 1 GiB); a larger file is skipped.
	MaxFileBytes int64
	// Timeout bounds the load of one file: read, parse, checks and the
	// smoke run (0 means DefaultLoadTimeout). A file that takes longer is
	// skipped and the others still load.
	Timeout time.Duration
}

// loadFile loads one model file; tests replace it to stand in for a slow
// load.
var loadFile = onnxrt.LoadContext

// LoadDir is LoadDirWith with the default options.
func LoadDir(dir string) (models []*onnxrt.Model, skipped []*LoadError, err error) {
	return LoadDirWith(dir, LoadOptions{})
}

// LoadDirWith loads every .onnx file under dir (recursively, so a Triton
// model repository written by causeway export --triton-repo works too),
// two at a time. Each file is checked against the tensor contract
// (onnxrt.LoadContext); a model is named by its metadata (causeway export
// --name) or else its file name without extension. Files that fail to
// load (too large, not a regular file, malformed, inconsistent, slower
// than opts.Timeout, or panicking in the loader), and later files whose
// model name repeats an earlier one, are returned as skipped. LoadDirWith
// fails if dir cannot be read or no model loads; its error then lists why
// each file failed.
//
// A load that times out is abandoned: its context ends, which stops it at
// the next phase or node of its smoke run (onnxrt.LoadContext), so it does
// not keep a core busy for long; only gonnx's protobuf parse, bounded by
// opts.MaxFileBytes, cannot be interrupted.
func LoadDirWith(dir string, opts LoadOptions) (models []*onnxrt.Model, skipped []*LoadError, err error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultLoadTimeout
	}
	if st, serr := os.Stat(dir); serr == nil && !st.IsDir() {
		return nil, nil, fmt.Errorf("serve: models directory %s is a file; give the directory holding the .onnx files", dir)
	}
	var paths []string
	// Walking dir/. follows dir itself when it is a symbolic link to a
	// directory (WalkDir follows no links, the root's included).
	err = filepath.WalkDir(filepath.Join(dir, ".")+string(filepath.Separator)+".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(path), ".onnx") {
			paths = append(paths, filepath.Clean(path))
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("serve: models directory: %w", err)
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("serve: no .onnx files under %s (export models with causeway export --out %s/NAME.onnx)", dir, dir)
	}
	sort.Strings(paths)
	loaded := make([]*onnxrt.Model, len(paths))
	errs := make([]error, len(paths))
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(2, runtime.GOMAXPROCS(0), len(paths)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				loaded[i], errs[i] = loadWithTimeout(paths[i], opts)
			}
		}()
	}
	for i := range paths {
		work <- i
	}
	close(work)
	wg.Wait()
	from := map[string]string{}
	for i, path := range paths {
		m, err := loaded[i], errs[i]
		if err == nil {
			if err = onnxfile.CheckName(m.Name()); err != nil {
				err = fmt.Errorf("%w (re-export with causeway export --name)", err)
			}
		}
		if err == nil && from[m.Name()] != "" {
			err = fmt.Errorf("model name %q is already served from %s (give each export its own --name)", m.Name(), from[m.Name()])
		}
		if err != nil {
			skipped = append(skipped, &LoadError{Path: path, Err: err})
			continue
		}
		from[m.Name()] = path
		models = append(models, m)
	}
	if len(models) == 0 {
		msgs := make([]error, len(skipped))
		for i, e := range skipped {
			msgs[i] = e
		}
		return nil, skipped, fmt.Errorf("serve: no model under %s loads:\n%w", dir, errors.Join(msgs...))
	}
	return models, skipped, nil
}

// loadWithTimeout loads one file within opts.Timeout, on a goroutine of
// its own so that a load that overruns can be abandoned; a panic in the
// loader is returned as an error (one crafted file must not take the
// server down).
func loadWithTimeout(path string, opts LoadOptions) (*onnxrt.Model, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opts.Timeout)
	defer cancel()
	type result struct {
		m   *onnxrt.Model
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		defer func() {
			if v := recover(); v != nil {
				r = result{err: fmt.Errorf("the loader panicked on this file: %v", v)}
			}
			done <- r
		}()
		r.m, r.err = loadFile(ctx, path, onnxrt.LoadOptions{MaxFileBytes: opts.MaxFileBytes})
	}()
	timedOut := func() error {
		return fmt.Errorf("loading took longer than %s, so the file is skipped (causeway serve --model-load-timeout)", opts.Timeout)
	}
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		select {
		case r = <-done: // it finished just in time
		default:
			return nil, timedOut()
		}
	}
	if r.err != nil && ctx.Err() != nil && errors.Is(r.err, ctx.Err()) {
		return nil, timedOut()
	}
	if errors.Is(r.err, onnxrt.ErrFileTooLarge) {
		return nil, fmt.Errorf("%w (causeway serve --max-model-size)", r.err)
	}
	return r.m, r.err
}
