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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"causeway/contract"
	"causeway/model"
	"causeway/onnxfile"
	"causeway/onnxrt"
)

// ModelList is the answer to GET /models.
type ModelList struct {
	// Default names the model that answers requests without "model".
	Default string `json:"default"`
	// Models are the loaded models, in load order.
	Models []ModelInfo `json:"models"`
}

// ModelInfo describes one loaded model.
type ModelInfo struct {
	Name    string `json:"name"`
	Default bool   `json:"default"`
	// Variant is the architecture, "A" to "F" (F reads whole data sets:
	// POST /predict with {"data": ...}).
	Variant string `json:"variant"`
	// MaxNodes is the largest N the model accepts.
	MaxNodes int `json:"max_nodes"`
	// Parameters counts the model's weights.
	Parameters int64 `json:"parameters"`
	// Config is the full architecture.
	Config model.Config `json:"config"`
	// Training summarises the checkpoint the model was exported from.
	Training TrainingSummary `json:"training"`
	// Version is the causeway version that exported the model.
	Version string `json:"causeway_version"`
}

// TrainingSummary is what a model's metadata says about its training.
type TrainingSummary struct {
	// Steps is the number of optimiser steps (0: freshly initialised).
	Steps int64 `json:"steps"`
	// Seed is the training seed.
	Seed uint64 `json:"seed"`
}

func newModelInfo(m *onnxrt.Model) ModelInfo {
	meta := m.Metadata()
	cfg := m.Config()
	info := ModelInfo{
		Name:     m.Name(),
		Variant:  string(cfg.Variant),
		MaxNodes: cfg.MaxNodes,
		Config:   cfg,
		Version:  meta[onnxfile.PropVersion],
	}
	info.Parameters, _ = strconv.ParseInt(meta[onnxfile.PropParameters], 10, 64)
	info.Training.Steps, _ = strconv.ParseInt(meta[onnxfile.PropTrainingSteps], 10, 64)
	info.Training.Seed, _ = strconv.ParseUint(meta[onnxfile.PropSeed], 10, 64)
	// Only causeway's own metadata keys are shown, as the fields above: a
	// file may carry anything in its metadata_props (paths, secrets).
	return info
}

// ServerMetadata is the answer to GET /v2 (OIP server metadata).
type ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// ModelMetadata is the answer to GET /v2/models/{name} (OIP model
// metadata).
type ModelMetadata struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions"`
	Platform string           `json:"platform"`
	Inputs   []TensorMetadata `json:"inputs"`
	Outputs  []TensorMetadata `json:"outputs"`
}

// TensorMetadata describes one input or output tensor; -1 is a dynamic
// dimension.
type TensorMetadata struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

// Platform is the OIP platform of every model: the same as Triton's for
// the .onnx file (causeway export writes it into config.pbtxt).
const Platform = "onnxruntime_onnx"

// modelVersion is the only version of every model.
const modelVersion = "1"

func newModelMetadata(m *onnxrt.Model) ModelMetadata {
	ins, outs := contract.PairSpecs()
	if m.DataSet() {
		ins, outs = contract.DataSetSpecs()
	}
	tensors := func(specs []contract.Spec) []TensorMetadata {
		out := make([]TensorMetadata, len(specs))
		for i, t := range specs {
			shape := make([]int, len(t.Shape))
			for j := range shape {
				shape[j] = -1
			}
			out[i] = TensorMetadata{Name: t.Name, Datatype: "FP32", Shape: shape}
		}
		return out
	}
	return ModelMetadata{Name: m.Name(), Versions: []string{modelVersion}, Platform: Platform,
		Inputs: tensors(ins), Outputs: tensors(outs)}
}

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
	if v := c.Param("version"); v != "" && v != modelVersion {
		return nil, &httpError{status: http.StatusNotFound, field: "version",
			msg: fmt.Sprintf("model %s has no version %q (its only version is %s)", name, v, modelVersion)}
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
