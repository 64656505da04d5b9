package onnxrt

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/advancedclimatesystems/gonnx/onnx"
)

// dtype is the element type of a value: the executor computes in float32
// and uses int64 only for shapes, axes and slice bounds.
type dtype uint8

const (
	dtFloat dtype = iota + 1
	dtInt64
)

func (d dtype) String() string {
	switch d {
	case dtFloat:
		return "float32"
	case dtInt64:
		return "int64"
	}
	return "unset"
}

// tensor is a dense row-major value. Exactly one of f and i is used,
// according to dtype. Kernels never write to their inputs.
type tensor struct {
	dtype dtype
	shape []int
	f     []float32
	i     []int64
}

func (t *tensor) size() int { return prod(t.shape) }

func prod(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// maxInitializerElems bounds an initializer's element count (2^31: 8 GiB of
// float32, beyond any causeway model).
const maxInitializerElems = 1 << 31

// decodeInitializer converts an initializer to a tensor. FLOAT and INT64
// are supported, from raw_data or the typed fields.
func decodeInitializer(tp *onnx.TensorProto) (*tensor, error) {
	shape := make([]int, len(tp.GetDims()))
	n := 1
	for i, d := range tp.GetDims() {
		if d < 0 {
			return nil, fmt.Errorf("initializer %s: negative dimension %d", tp.GetName(), d)
		}
		// Overflow-checked: a crafted [2^62, 4] must not wrap to 0 and pass
		// the data-length checks below.
		if d > 0 && int64(n) > maxInitializerElems/d {
			return nil, fmt.Errorf("initializer %s: shape %v holds more than %d elements", tp.GetName(), tp.GetDims(), maxInitializerElems)
		}
		shape[i] = int(d)
		n *= int(d)
	}
	raw := tp.GetRawData()
	switch onnx.TensorProto_DataType(tp.GetDataType()) {
	case onnx.TensorProto_FLOAT:
		t := &tensor{dtype: dtFloat, shape: shape}
		if len(raw) > 0 || len(tp.GetFloatData()) == 0 {
			if len(raw) != 4*n {
				return nil, fmt.Errorf("initializer %s: %d bytes of raw data for %d float32 values", tp.GetName(), len(raw), n)
			}
			t.f = make([]float32, n)
			for i := range t.f {
				t.f[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		} else {
			if len(tp.GetFloatData()) != n {
				return nil, fmt.Errorf("initializer %s: %d float values for shape %v", tp.GetName(), len(tp.GetFloatData()), shape)
			}
			t.f = append([]float32(nil), tp.GetFloatData()...)
		}
		return t, nil
	case onnx.TensorProto_INT64:
		t := &tensor{dtype: dtInt64, shape: shape}
		if len(raw) > 0 || len(tp.GetInt64Data()) == 0 {
			if len(raw) != 8*n {
				return nil, fmt.Errorf("initializer %s: %d bytes of raw data for %d int64 values", tp.GetName(), len(raw), n)
			}
			t.i = make([]int64, n)
			for i := range t.i {
				t.i[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		} else {
			if len(tp.GetInt64Data()) != n {
				return nil, fmt.Errorf("initializer %s: %d int64 values for shape %v", tp.GetName(), len(tp.GetInt64Data()), shape)
			}
			t.i = append([]int64(nil), tp.GetInt64Data()...)
		}
		return t, nil
	}
	return nil, fmt.Errorf("initializer %s: data type %s is not supported (want FLOAT or INT64)",
		tp.GetName(), onnx.TensorProto_DataType(tp.GetDataType()))
}
