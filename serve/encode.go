package serve

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"

	"causeway/api"
)

// The response encoders below write exactly what json.Encoder.Encode
// writes for the same values (a test holds them to it, and to the field
// lists of api.Response, api.Edge and api.InferResponse), without reflection:
// for a 20-variable response they take a third of encoding/json's time.
// Callers check that every float is finite first.

// appendResponse appends r and a newline.
func appendResponse(b []byte, r *api.Response) []byte {
	b = appendResponseObject(b, r)
	return append(b, '\n')
}

// appendBatchResponse appends r and a newline.
func appendBatchResponse(b []byte, r *api.BatchResponse) []byte {
	b = append(b, `{"predictions":`...)
	if r.Predictions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Predictions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendResponseObject(b, &r.Predictions[i])
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

func appendResponseObject(b []byte, r *api.Response) []byte {
	b = append(b, `{"model":`...)
	b = appendString(b, r.Model)
	b = append(b, `,"variables":`...)
	if r.Variables == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, v := range r.Variables {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, `,"delta":`...)
	b = appendFloat32s(b, r.Delta)
	b = append(b, `,"adjacency":`...)
	if r.Adjacency == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, row := range r.Adjacency {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendFloat32s(b, row)
		}
		b = append(b, ']')
	}
	b = append(b, `,"threshold":`...)
	b = appendFloat(b, r.Threshold, 64)
	b = append(b, `,"edges":`...)
	if r.Edges == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, e := range r.Edges {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"from":`...)
			b = appendString(b, e.From)
			b = append(b, `,"to":`...)
			b = appendString(b, e.To)
			b = append(b, `,"probability":`...)
			b = appendFloat(b, float64(e.Probability), 32)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendInferResponse appends r and a newline.
func appendInferResponse(b []byte, r *api.InferResponse) []byte {
	b = appendInferObject(b, r)
	return append(b, '\n')
}

// appendInferObject appends r.
func appendInferObject(b []byte, r *api.InferResponse) []byte {
	b = append(b, `{"model_name":`...)
	b = appendString(b, r.ModelName)
	b = append(b, `,"model_version":`...)
	b = appendString(b, r.ModelVersion)
	if r.ID != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, r.ID)
	}
	b = append(b, `,"outputs":`...)
	if r.Outputs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, o := range r.Outputs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = appendString(b, o.Name)
			b = append(b, `,"datatype":`...)
			b = appendString(b, o.Datatype)
			b = append(b, `,"shape":`...)
			if o.Shape == nil {
				b = append(b, "null"...)
			} else {
				b = append(b, '[')
				for j, d := range o.Shape {
					if j > 0 {
						b = append(b, ',')
					}
					b = strconv.AppendInt(b, int64(d), 10)
				}
				b = append(b, ']')
			}
			if o.Parameters != nil {
				b = append(b, `,"parameters":{"binary_data_size":`...)
				b = strconv.AppendInt(b, int64(o.Parameters.BinaryDataSize), 10)
				b = append(b, '}')
			}
			if len(o.Data) > 0 {
				b = append(b, `,"data":`...)
				b = appendFloat32s(b, o.Data)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendFloat32s(b []byte, v []float32) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, float64(x), 32)
	}
	return append(b, ']')
}

// appendFloat formats f as encoding/json does for a float of the given
// bits (ES6 number formatting); a non-finite f, which encoding/json
// refuses, becomes null.
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendString quotes s as encoding/json does: strings of printable ASCII
// without characters it escapes are copied; others go to json.Marshal.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendFP32 appends v as little-endian FP32 bytes.
func appendFP32(b []byte, v []float32) []byte {
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}
