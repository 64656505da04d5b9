package api

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// The binary tensor data extension of the Open Inference Protocol (KServe,
// Triton): a body is a JSON header of InferenceHeaderLength bytes followed
// by raw tensors, little-endian and row-major, in the order of the inputs
// (or outputs) whose parameters give their binary_data_size. Triton's and
// KServe's clients send tensors this way by default.

// InferenceHeaderLength is the HTTP header giving the length of a body's
// JSON part under the binary tensor data extension.
const InferenceHeaderLength = "Inference-Header-Content-Length"

// BinaryExtension is the extension's name in GET /v2.
const BinaryExtension = "binary_tensor_data"

// OutputParameters are an output's parameters in an infer response.
type OutputParameters struct {
	// BinaryDataSize is the byte size of the output's binary data after
	// the JSON part (then the output has no "data").
	BinaryDataSize int `json:"binary_data_size"`
}

// binaryParams are the extension's parameters in a request's parameters
// objects; other parameters are ignored.
type binaryParams struct {
	BinaryDataSize   *int64 `json:"binary_data_size"`
	BinaryData       *bool  `json:"binary_data"`
	BinaryDataOutput *bool  `json:"binary_data_output"`
}

// readBinaryParams reads the extension's parameters from the raw
// parameters object of field (nil when absent).
func readBinaryParams(raw json.RawMessage, field string) (binaryParams, error) {
	var p binaryParams
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return p, nil
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			want := "a boolean"
			if te.Field == "binary_data_size" {
				want = "an integer byte count"
			}
			return p, fieldErr(field+"."+te.Field, "got a JSON %s, want %s", te.Value, want)
		}
		return p, fieldErr(field, "want an object of parameters: %v", err)
	}
	return p, nil
}

// splitBinary splits a body into its JSON part and binary tensor data
// when header (the InferenceHeaderLength value) is set.
func splitBinary(body []byte, header string) (jsonPart, bin []byte, err error) {
	if header == "" {
		return body, nil, nil
	}
	n, perr := strconv.ParseInt(header, 10, 64)
	if perr != nil || n < 0 || n > int64(len(body)) {
		return nil, nil, fieldErr(InferenceHeaderLength, "is %q; want the byte length of the JSON part at the start of the body (0 to %d)", header, len(body))
	}
	return body[:n], body[n:], nil
}

// attachBinary gives each input whose parameters carry binary_data_size its
// slice of bin, decoded as FP32 (inputs of another datatype are left for
// Pairs and DataSet to refuse); hasBinary says whether the request used the
// extension's header. Every byte of bin must belong to an input.
func attachBinary(r *InferRequest, bin []byte, hasBinary bool) error {
	rest := bin
	for i := range r.Inputs {
		in := &r.Inputs[i]
		field := fmt.Sprintf("inputs[%d].parameters", i)
		p, err := readBinaryParams(in.Parameters, field)
		if err != nil {
			return err
		}
		if p.BinaryDataSize == nil {
			continue
		}
		field += ".binary_data_size"
		size := *p.BinaryDataSize
		switch {
		case !hasBinary:
			return fieldErr(field, "binary tensor data needs the %s header (the byte length of the JSON part)", InferenceHeaderLength)
		case in.Data != nil:
			return fieldErr(field, "%s has both \"data\" and binary data; send one", in.Name)
		case size < 0 || size > int64(len(rest)):
			return fieldErr(field, "is %d; %d bytes of binary data are left after the inputs before it", size, len(rest))
		case in.Datatype == "FP32" && size%4 != 0:
			return fieldErr(field, "is %d, not a whole number of 4-byte FP32 values", size)
		}
		if in.Datatype == "FP32" {
			in.binary = make([]float32, size/4)
			for j := range in.binary {
				in.binary[j] = math.Float32frombits(binary.LittleEndian.Uint32(rest[4*j:]))
			}
		}
		rest = rest[size:]
	}
	if len(rest) > 0 {
		return fieldErr(InferenceHeaderLength, "%d bytes of binary data follow the JSON part but no input claims them (binary_data_size in an input's parameters)", len(rest))
	}
	return nil
}

// BinaryOutputs says, for each output name to return, whether the request
// asks for it as binary data: the request's binary_data_output parameter,
// overridden by an output's binary_data.
func (r *InferRequest) BinaryOutputs(names []string) ([]bool, error) {
	top, err := readBinaryParams(r.Parameters, "parameters")
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(names))
	for i, name := range names {
		out[i] = top.BinaryDataOutput != nil && *top.BinaryDataOutput
		for j, o := range r.Outputs {
			if o.Name != name {
				continue
			}
			p, err := readBinaryParams(o.Parameters, fmt.Sprintf("outputs[%d].parameters", j))
			if err != nil {
				return nil, err
			}
			if p.BinaryData != nil {
				out[i] = *p.BinaryData
			}
		}
	}
	return out, nil
}
