package serve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"causeway/api"
	"causeway/onnxrt"
)

// predict answers POST /predict: one request, or a batch whose instances
// all use one model.
func (s *Server) predict(c echo.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	if api.IsDataRequest(body.Bytes()) {
		r, err := api.DecodeData(body.Bytes())
		s.putBuffer(body)
		if err != nil {
			return badRequest(err)
		}
		return s.predictData(c, r)
	}
	req, batch, err := api.DecodeBytes(body.Bytes())
	s.putBuffer(body)
	if err != nil {
		return badRequest(err)
	}
	if batch != nil {
		return s.predictBatch(c, batch)
	}
	e := s.lookup(req.Model)
	if e == nil {
		return s.unknownModel("model", req.Model)
	}
	if e.m.DataSet() {
		return fieldError("model", "%s is a data-set model (Model %s): send {\"data\": {\"rows\": [...], \"intervened\": [...]}} instead of base_samples and int_samples", e.m.Name(), e.m.Config().Variant)
	}
	name := e.m.Name()
	c.Set(modelKey, name)
	if _, n := req.Shape(); n > e.m.MaxNodes() {
		return badRequest(req.Validate(e.m.MaxNodes()))
	}
	in, err := req.Inputs() // validates the rest
	if err != nil {
		return badRequest(err)
	}
	if err := s.checkWork(e.m, in.B, in.S, in.N, 0); err != nil {
		return err
	}
	var out onnxrt.Outputs
	err = s.run(c, func(ctx context.Context) (err error) {
		start := time.Now()
		out, err = e.m.RunContext(ctx, in)
		s.metrics.inference.WithLabelValues(name).Observe(elapsed(start))
		return err
	})
	if err != nil {
		return runError(err)
	}
	resp := api.NewResponse(name, req, out.Delta, out.AdjLogits)
	if err := checkResponse("", resp); err != nil {
		return err
	}
	return s.writeEncoded(c, http.StatusOK, func(b []byte) []byte { return appendResponse(b, resp) })
}

func (s *Server) predictBatch(c echo.Context, b *api.BatchRequest) error {
	e := s.lookup(b.Instances[0].Model)
	if e == nil {
		return s.unknownModel("instances[0].model", b.Instances[0].Model)
	}
	for i := 1; i < len(b.Instances); i++ {
		other := s.lookup(b.Instances[i].Model)
		if other == nil {
			return s.unknownModel(fmt.Sprintf("instances[%d].model", i), b.Instances[i].Model)
		}
		if other != e {
			return fieldError(fmt.Sprintf("instances[%d].model", i),
				"is %s, instances[0] uses %s; a batch runs on one model (send one batch per model)", other.m.Name(), e.m.Name())
		}
	}
	name := e.m.Name()
	c.Set(modelKey, name)
	maxS, maxN := 0, 0
	for i := range b.Instances {
		sz, n := b.Instances[i].Shape()
		maxS, maxN = max(maxS, sz), max(maxN, n)
	}
	if err := s.checkWork(e.m, min(len(b.Instances), api.MaxBatch), maxS, maxN, 0); err != nil {
		return err
	}
	for i := range b.Instances {
		if err := b.Instances[i].Validate(e.m.MaxNodes()); err != nil {
			ae, _ := err.(*api.Error)
			if ae == nil {
				return badRequest(fmt.Errorf("instances[%d]: %w", i, err))
			}
			return badRequest(&api.Error{Field: fmt.Sprintf("instances[%d].%s", i, ae.Field), Problem: ae.Problem})
		}
	}
	var resp *api.BatchResponse
	err := s.run(c, func(ctx context.Context) (err error) {
		start := time.Now()
		resp, err = api.PredictBatch(ctx, e.m, b)
		s.metrics.inference.WithLabelValues(name).Observe(elapsed(start))
		return err
	})
	if err != nil {
		return runError(err)
	}
	for i := range resp.Predictions {
		if err := checkResponse(fmt.Sprintf("predictions[%d].", i), &resp.Predictions[i]); err != nil {
			return err
		}
	}
	return s.writeEncoded(c, http.StatusOK, func(b []byte) []byte { return appendBatchResponse(b, resp) })
}

// predictData answers a data-set request (api.DataRequest) with a
// data-set model: the request's, else the default if it is one, else the
// first data-set model loaded.
func (s *Server) predictData(c echo.Context, r *api.DataRequest) error {
	e := s.lookup(r.Model)
	if r.Model == "" && !e.m.DataSet() {
		e = s.defaultDataSet()
	}
	if e == nil {
		if r.Model != "" {
			return s.unknownModel("model", r.Model)
		}
		return fieldError("data", "no data-set model is loaded (loaded: %s); serve a Model F export such as models/model-f.onnx", s.names())
	}
	if !e.m.DataSet() {
		return fieldError("model", "%s is Model %s, which takes sample pairs (base_samples, int_samples), not {\"data\": ...}", e.m.Name(), e.m.Config().Variant)
	}
	name := e.m.Name()
	c.Set(modelKey, name)
	if rows := len(r.Data.Rows); rows > 0 {
		if err := s.checkWork(e.m, 1, rows, len(r.Data.Rows[0]), r.Queries()); err != nil {
			return err
		}
	}
	var resp *api.DataResponse
	err := s.run(c, func(ctx context.Context) (err error) {
		start := time.Now()
		resp, err = api.PredictData(ctx, e.m, r)
		s.metrics.inference.WithLabelValues(name).Observe(elapsed(start))
		return err
	})
	if err != nil {
		return runError(err)
	}
	for i, row := range resp.Adjacency {
		if err := finite(fmt.Sprintf("adjacency[%d]", i), row); err != nil {
			return err
		}
	}
	for i, ef := range resp.Effects {
		if err := finite(fmt.Sprintf("effects[%d].delta", i), ef.Delta); err != nil {
			return err
		}
	}
	return c.JSON(http.StatusOK, resp)
}

// defaultDataSet returns the first data-set model loaded, or nil.
func (s *Server) defaultDataSet() *entry {
	for _, e := range s.order {
		if e.m.DataSet() {
			return e
		}
	}
	return nil
}

// unknownModel is the 400 for a "model" field naming no loaded model.
func (s *Server) unknownModel(field, name string) error {
	return fieldError(field, "unknown model %q (loaded: %s; GET /models lists them)", name, s.names())
}

// runError passes a run's error on; a validation error the executor found
// is still the client's (400).
func runError(err error) error {
	var ae *api.Error
	if errors.As(err, &ae) {
		return badRequest(err)
	}
	return err
}

// checkResponse answers 422 if the model's outputs are not finite (JSON
// cannot carry them; they come from inputs so large or degenerate that
// float32 overflows inside the model).
func checkResponse(prefix string, r *api.Response) error {
	if err := finite(prefix+"delta", r.Delta); err != nil {
		return err
	}
	for i, row := range r.Adjacency {
		if err := finite(fmt.Sprintf("%sadjacency[%d]", prefix, i), row); err != nil {
			return err
		}
	}
	return nil
}

// finite answers 422 naming the first non-finite value of v.
func finite(field string, v []float32) error {
	for i, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return &httpError{status: http.StatusUnprocessableEntity, field: fmt.Sprintf("%s[%d]", field, i),
				msg: fmt.Sprintf("the model's output %s[%d] is %v for these inputs: float32 overflowed inside the model; rescale the samples (standardise each variable)", field, i, x)}
		}
	}
	return nil
}
