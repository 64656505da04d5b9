package serve

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"causeway/api"
	"causeway/contract"
	"causeway/onnxrt"
)

// The Open Inference Protocol v2 infer endpoint; its wire types, decoding
// and checks are package api's (oip.go, oip_binary.go, oip_dataset.go).

// infer answers POST /v2/models/{name}/infer.
func (s *Server) infer(c echo.Context) error {
	e, err := s.pathModel(c)
	if err != nil {
		return err
	}
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	r, err := api.DecodeInferBody(body.Bytes(), c.Request().Header.Get(api.InferenceHeaderLength))
	s.putBuffer(body)
	if err != nil {
		return badRequest(err)
	}
	if e.m.DataSet() {
		return s.inferDataSet(c, e, r)
	}
	in, names, err := r.Pairs(e.m)
	if err != nil {
		return badRequest(err)
	}
	if err := s.checkWork(e.m, in.B, in.S, in.N, 0); err != nil {
		return err
	}
	asBinary, err := r.BinaryOutputs(names)
	if err != nil {
		return badRequest(err)
	}
	name := e.m.Name()
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
	if err := finite(contract.Delta, out.Delta); err != nil {
		return err
	}
	if err := finite(contract.AdjLogits, out.AdjLogits); err != nil {
		return err
	}
	return s.writeInfer(c, r, name, names, asBinary, func(n string) ([]int, []float32) {
		if n == contract.AdjLogits {
			return []int{in.B, in.N, in.N}, out.AdjLogits
		}
		return []int{in.B, in.N}, out.Delta
	})
}

// writeInfer answers an infer request of model with the outputs names
// (tensor gives each one's shape and data): as JSON, or, where asBinary
// asks, the JSON part followed by those outputs' bytes, the header saying
// where the JSON ends.
func (s *Server) writeInfer(c echo.Context, r *api.InferRequest, model string, names []string, asBinary []bool, tensor func(name string) ([]int, []float32)) error {
	resp := &api.InferResponse{ModelName: model, ModelVersion: api.ModelVersion, ID: r.ID}
	var blobs [][]float32 // outputs sent as binary data, in order
	for i, n := range names {
		shape, data := tensor(n)
		o := api.InferOutput{Name: n, Datatype: "FP32", Shape: shape, Data: data}
		if asBinary[i] {
			blobs = append(blobs, o.Data)
			o.Parameters, o.Data = &api.OutputParameters{BinaryDataSize: 4 * len(o.Data)}, nil
		}
		resp.Outputs = append(resp.Outputs, o)
	}
	if blobs == nil {
		return s.writeEncoded(c, http.StatusOK, func(b []byte) []byte { return appendInferResponse(b, resp) })
	}
	return s.writeEncodedAs(c, http.StatusOK, echo.MIMEOctetStream, func(b []byte) []byte {
		b = appendInferObject(b, resp)
		c.Response().Header().Set(api.InferenceHeaderLength, strconv.Itoa(len(b)))
		for _, v := range blobs {
			b = appendFP32(b, v)
		}
		return b
	})
}

// inferDataSet answers POST /v2/models/{name}/infer for a data-set model.
func (s *Server) inferDataSet(c echo.Context, e *entry, r *api.InferRequest) error {
	d, names, err := r.DataSet(e.m)
	if err != nil {
		return badRequest(err)
	}
	if err := s.checkWork(e.m, d.B, d.R, d.N, d.Q); err != nil {
		return err
	}
	asBinary, err := r.BinaryOutputs(names)
	if err != nil {
		return badRequest(err)
	}
	name := e.m.Name()
	var out onnxrt.DataSetOutputs
	err = s.run(c, func(ctx context.Context) (err error) {
		start := time.Now()
		out, err = e.m.RunDataSet(ctx, d)
		s.metrics.inference.WithLabelValues(name).Observe(elapsed(start))
		return err
	})
	if err != nil {
		return runError(err)
	}
	if err := finite(contract.AdjLogits, out.AdjLogits); err != nil {
		return err
	}
	if err := finite(contract.Effect, out.Effect); err != nil {
		return err
	}
	return s.writeInfer(c, r, name, names, asBinary, func(n string) ([]int, []float32) {
		if n == contract.Effect {
			return []int{d.B, d.Q, d.N}, out.Effect
		}
		return []int{d.B, d.N, d.N}, out.AdjLogits
	})
}
