package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"causeway/contract"
	"causeway/internal/jsonscan"
	"causeway/onnxrt"
)

// The Open Inference Protocol v2 (KServe, Triton) infer request and
// response of POST /v2/models/{name}/infer, JSON and binary tensor data,
// and their decoding and checking against the tensor contracts. Errors
// are *Error (naming the field) or plain errors saying what is malformed;
// a server answers either with 400.

// InferRequest is the body of POST /v2/models/{name}/infer (Open Inference
// Protocol v2, JSON form).
type InferRequest struct {
	// ID is echoed in the response.
	ID string `json:"id,omitempty"`
	// Parameters may ask for every output as binary data
	// ({"binary_data_output": true}); others are accepted and ignored.
	Parameters json.RawMessage `json:"parameters,omitempty"`
	// Inputs are the contract's four tensors, in any order.
	Inputs []InferInput `json:"inputs"`
	// Outputs name the outputs to return (default: delta and adj_logits).
	Outputs []InferRequestedOutput `json:"outputs,omitempty"`
}

// InferInput is one input tensor.
type InferInput struct {
	Name     string `json:"name"`
	Shape    []int  `json:"shape"`
	Datatype string `json:"datatype"`
	// Parameters may give binary_data_size (the binary tensor data
	// extension); others are accepted and ignored.
	Parameters json.RawMessage `json:"parameters,omitempty"`
	// Data are the elements in row-major order; in JSON a flat array of
	// numbers, or arrays nested exactly to Shape (which are flattened; a
	// ragged, too deep or too shallow nesting is refused, naming the
	// index). Absent when the tensor comes as binary data
	// (binary_data_size in Parameters).
	Data []float64 `json:"data"`

	binary []float32 // the tensor's binary data, decoded
}

// InferRequestedOutput names one output to return.
type InferRequestedOutput struct {
	Name string `json:"name"`
	// Parameters may ask for binary data ({"binary_data": true}); others
	// are accepted and ignored.
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// InferResponse answers an InferRequest.
type InferResponse struct {
	ModelName    string        `json:"model_name"`
	ModelVersion string        `json:"model_version"`
	ID           string        `json:"id,omitempty"`
	Outputs      []InferOutput `json:"outputs"`
}

// InferOutput is one output tensor: delta [B,N] or adj_logits [B,N,N]
// (adj_logits[b][i][j] is the logit of the edge i → j), FP32, row-major.
// An output returned as binary data has Parameters and no Data.
type InferOutput struct {
	Name       string            `json:"name"`
	Datatype   string            `json:"datatype"`
	Shape      []int             `json:"shape"`
	Parameters *OutputParameters `json:"parameters,omitempty"`
	Data       []float32         `json:"data,omitempty"`
}

// DecodeInfer decodes an OIP v2 infer body (its JSON part). Like
// DecodeBytes it decodes the usual form in one pass and leaves anything
// else, errors included, to encoding/json (unknown fields are errors).
func DecodeInfer(body []byte) (*InferRequest, error) {
	if r, ok := fastInfer(body); ok {
		return r, nil
	}
	return slowInfer(body)
}

// DecodeInferBody decodes a whole infer body, splitting off binary tensor
// data when header (the InferenceHeaderLength header's value) is set and
// giving each input that claims binary data its values.
func DecodeInferBody(body []byte, header string) (*InferRequest, error) {
	jsonPart, bin, err := splitBinary(body, header)
	if err != nil {
		return nil, err
	}
	r, err := DecodeInfer(jsonPart)
	if err != nil {
		return nil, err
	}
	if err := attachBinary(r, bin, header != ""); err != nil {
		return nil, err
	}
	return r, nil
}

func fastInfer(body []byte) (*InferRequest, bool) {
	p := jsonscan.New(body)
	r := &InferRequest{}
	ok := p.Object(func(key []byte) bool {
		switch string(key) {
		case "id":
			s, ok := p.Str()
			r.ID = string(s)
			return ok
		case "parameters":
			raw, ok := p.Skip()
			r.Parameters = bytes.Clone(raw)
			return ok
		case "inputs":
			r.Inputs = make([]InferInput, 0, 4)
			return p.Array(func() bool {
				r.Inputs = append(r.Inputs, InferInput{})
				return scanInferInput(p, body, &r.Inputs[len(r.Inputs)-1])
			})
		case "outputs":
			r.Outputs = make([]InferRequestedOutput, 0, 2)
			return p.Array(func() bool {
				r.Outputs = append(r.Outputs, InferRequestedOutput{})
				o := &r.Outputs[len(r.Outputs)-1]
				return p.Object(func(key []byte) bool {
					switch string(key) {
					case "name":
						s, ok := p.Str()
						o.Name = string(s)
						return ok
					case "parameters":
						raw, ok := p.Skip()
						o.Parameters = bytes.Clone(raw)
						return ok
					}
					return false
				})
			})
		}
		return false
	})
	if !ok || !p.End() {
		return nil, false
	}
	return r, true
}

func scanInferInput(p *jsonscan.Scanner, body []byte, in *InferInput) bool {
	var nested []byte // the data, when it nests arrays
	ok := p.Object(func(key []byte) bool {
		switch string(key) {
		case "name":
			s, ok := p.Str()
			in.Name = string(s)
			return ok
		case "datatype":
			s, ok := p.Str()
			in.Datatype = string(s)
			return ok
		case "shape":
			in.Shape = make([]int, 0, 3)
			return p.Array(func() bool {
				tok, ok := p.Number()
				if !ok {
					return false
				}
				v, err := strconv.Atoi(string(tok))
				in.Shape = append(in.Shape, v)
				return err == nil
			})
		case "parameters":
			raw, ok := p.Skip()
			in.Parameters = bytes.Clone(raw)
			return ok
		case "data":
			start := p.Pos()
			data, isNested, ok := p.FlattenNested(nil)
			if isNested {
				nested = body[start:p.Pos()]
			}
			in.Data = data
			return ok
		}
		return false
	})
	// Nested data must have the declared shape; on a departure the slow
	// path says where.
	return ok && (nested == nil || jsonscan.CheckNesting(nested, in.Shape) == nil)
}

// inferWire is InferRequest with the tensor data left raw, for
// encoding/json.
type inferWire struct {
	ID         string          `json:"id"`
	Parameters json.RawMessage `json:"parameters"`
	Inputs     []struct {
		Name       string          `json:"name"`
		Shape      []int           `json:"shape"`
		Datatype   string          `json:"datatype"`
		Parameters json.RawMessage `json:"parameters"`
		Data       json.RawMessage `json:"data"`
	} `json:"inputs"`
	Outputs []InferRequestedOutput `json:"outputs"`
}

// inferKeys are the JSON keys of an infer request, for CheckKeys.
var inferKeys = AddKnownKeys(nil, InferRequest{}, InferInput{}, InferRequestedOutput{})

// slowInfer decodes with encoding/json and says what is wrong.
func slowInfer(body []byte) (*InferRequest, error) {
	if err := CheckKeys(body, inferKeys); err != nil {
		return nil, err
	}
	var w inferWire
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			if num, ok := strings.CutPrefix(te.Value, "number "); ok && strings.Contains(te.Type.String(), "float") {
				return nil, fieldErr(te.Field, "%s overflows float32 (every value must be a finite float32)", num)
			}
			return nil, fieldErr(te.Field, "got a JSON %s, want %s", te.Value, jsonType(te.Type.String()))
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if strings.HasPrefix(msg, "unknown field") {
			return nil, fmt.Errorf("request has an %s (OIP v2 fields: id, parameters, inputs [{name, shape, datatype, parameters, data}], outputs [{name, parameters}])", msg)
		}
		return nil, fmt.Errorf("malformed request: %s", msg)
	}
	if dec.More() {
		return nil, errors.New("malformed request: trailing data after the JSON object")
	}
	r := &InferRequest{ID: w.ID, Parameters: w.Parameters, Outputs: w.Outputs}
	if w.Inputs != nil {
		r.Inputs = make([]InferInput, len(w.Inputs))
	}
	for i, in := range w.Inputs {
		r.Inputs[i] = InferInput{Name: in.Name, Shape: in.Shape, Datatype: in.Datatype, Parameters: in.Parameters}
		if in.Data == nil {
			continue
		}
		p := jsonscan.New(in.Data)
		data, nested, ok := p.FlattenNested(nil)
		if !ok || !p.End() {
			return nil, fieldErr(fmt.Sprintf("inputs[%d].data", i),
				"element %d is not a number in the float64 range; data is an array of numbers, flat (row-major) or nested", len(data))
		}
		if nested {
			if e := jsonscan.CheckNesting(in.Data, in.Shape); e != nil {
				return nil, fieldErr(fmt.Sprintf("inputs[%d].data%s", i, e.Index()), "%s %s", tensorName(in.Name, i), e)
			}
		}
		r.Inputs[i].Data = data
	}
	return r, nil
}

// tensorName names input i in an error: its name, or "input i" when it
// has none.
func tensorName(name string, i int) string {
	if name == "" {
		return fmt.Sprintf("input %d", i)
	}
	return name
}

func jsonType(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "int":
		return "an integer"
	case "[]int":
		return "an array of integers"
	}
	if strings.HasPrefix(goType, "[]") {
		return "an array"
	}
	return goType
}

// Pairs checks r against the sample-pair contract (models A-E) and m and
// converts it to the executor's inputs; outputs are the names to return
// (the requested ones, or both).
func (r *InferRequest) Pairs(m *onnxrt.Model) (in contract.Pairs, outputs []string, err error) {
	if len(r.Inputs) == 0 {
		return in, nil, fieldErr("inputs", "missing: send the four FP32 tensors base_samples [B,S,N], int_samples [B,S,N], target_row [B,N] and int_mask [B,N]")
	}
	var idx [4]int // position in r.Inputs of each contract input, +1
	for i, t := range r.Inputs {
		k := inputIndex(t.Name)
		if k < 0 {
			return in, nil, fieldErr(fmt.Sprintf("inputs[%d].name", i), "unknown input %q (the model takes base_samples, int_samples, target_row and int_mask)", t.Name)
		}
		if idx[k] != 0 {
			return in, nil, fieldErr(fmt.Sprintf("inputs[%d].name", i), "%s repeats inputs[%d]", t.Name, idx[k]-1)
		}
		idx[k] = i + 1
		if t.Datatype != "FP32" {
			return in, nil, fieldErr(fmt.Sprintf("inputs[%d].datatype", i), "%s is %q; the model takes FP32", t.Name, t.Datatype)
		}
	}
	for k, i := range idx {
		if i == 0 {
			return in, nil, fieldErr("inputs", "missing %s %s (FP32)", contract.PairInputs[k], contractShape(k))
		}
	}
	base := r.Inputs[idx[0]-1]
	if len(base.Shape) != 3 {
		return in, nil, fieldErr(fmt.Sprintf("inputs[%d].shape", idx[0]-1), "base_samples has shape %v; want [B,S,N]", base.Shape)
	}
	b, s, n := base.Shape[0], base.Shape[1], base.Shape[2]
	bf := fmt.Sprintf("inputs[%d].shape", idx[0]-1)
	switch {
	case b < 1:
		return in, nil, fieldErr(bf, "base_samples has batch size B=%d; want at least 1", b)
	case s < 2:
		return in, nil, fieldErr(bf, "base_samples has S=%d samples; the standard deviations need S ≥ 2", s)
	case n < 2:
		return in, nil, fieldErr(bf, "base_samples has N=%d variables; need N ≥ 2", n)
	case n > m.MaxNodes():
		return in, nil, fieldErr(bf, "base_samples has N=%d variables; model %s supports at most max_nodes=%d", n, m.Name(), m.MaxNodes())
	case b > math.MaxInt32/s/n:
		return in, nil, fieldErr(bf, "base_samples shape %v is too large", base.Shape)
	}
	in = contract.Pairs{B: b, S: s, N: n}
	dst := [4]*[]float32{&in.Base, &in.Int, &in.Target, &in.Mask}
	for k, i := range idx {
		t := r.Inputs[i-1]
		want := []int{b, s, n}
		if k >= 2 {
			want = []int{b, n}
		}
		if !slices.Equal(t.Shape, want) {
			return in, nil, fieldErr(fmt.Sprintf("inputs[%d].shape", i-1), "%s has shape %v; want %s = %v (from base_samples %v)",
				t.Name, t.Shape, contractShape(k), want, base.Shape)
		}
		size := 1
		for _, d := range want {
			size *= d
		}
		if t.binary != nil {
			if len(t.binary) != size {
				return in, nil, fieldErr(fmt.Sprintf("inputs[%d].parameters.binary_data_size", i-1), "%s has %d bytes of binary data (%d FP32 values); its shape %v holds %d values, %d bytes",
					t.Name, 4*len(t.binary), len(t.binary), t.Shape, size, 4*size)
			}
			for j, v := range t.binary {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return in, nil, fieldErr(fmt.Sprintf("inputs[%d] (binary data)", i-1), "%s element %d is %v, not a finite float32", t.Name, j, v)
				}
			}
			*dst[k] = t.binary
			continue
		}
		if len(t.Data) != size {
			return in, nil, fieldErr(fmt.Sprintf("inputs[%d].data", i-1), "%s has %d values; its shape %v holds %d", t.Name, len(t.Data), t.Shape, size)
		}
		out := make([]float32, size)
		for j, v := range t.Data {
			if math.IsNaN(v) || math.Abs(v) > math.MaxFloat32 {
				return in, nil, fieldErr(fmt.Sprintf("inputs[%d].data[%d]", i-1, j), "%s element %d is %g, not a finite float32", t.Name, j, v)
			}
			out[j] = float32(v)
		}
		*dst[k] = out
	}
	mi := idx[3] - 1
	for e := 0; e < b; e++ {
		ones := 0
		for j, v := range in.Mask[e*n : (e+1)*n] {
			switch v {
			case 1:
				ones++
			case 0:
			default:
				return in, nil, fieldErr(fmt.Sprintf("inputs[%d].data[%d]", mi, e*n+j), "int_mask[%d][%d] is %g; each row is one-hot (1 at the intervened node, 0 elsewhere)", e, j, v)
			}
		}
		if ones != 1 {
			return in, nil, fieldErr(fmt.Sprintf("inputs[%d].data", mi), "int_mask row %d has %d ones; each row is one-hot (exactly one 1, at the intervened node)", e, ones)
		}
	}
	for i, o := range r.Outputs {
		if o.Name != contract.Delta && o.Name != contract.AdjLogits {
			return in, nil, fieldErr(fmt.Sprintf("outputs[%d].name", i), "unknown output %q (the model gives delta and adj_logits)", o.Name)
		}
		for j := range i {
			if r.Outputs[j].Name == o.Name {
				return in, nil, fieldErr(fmt.Sprintf("outputs[%d].name", i), "%s repeats outputs[%d]", o.Name, j)
			}
		}
		outputs = append(outputs, o.Name)
	}
	if len(outputs) == 0 {
		outputs = contract.PairOutputs
	}
	return in, outputs, nil
}

func inputIndex(name string) int {
	for k, n := range contract.PairInputs {
		if n == name {
			return k
		}
	}
	return -1
}

func contractShape(k int) string {
	if k < 2 {
		return "[B,S,N]"
	}
	return "[B,N]"
}
