// Package onnxfile holds the facts of causeway's ONNX model files that
// both the writer (package export) and the readers (the executor onnxrt,
// the server serve, the CLI) rely on: the opset, IR version and producer
// every export has, the keys of its metadata_props, model names, and
// reading the recorded architecture and parameters back from a file.
package onnxfile

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"regexp"

	"github.com/advancedclimatesystems/gonnx/onnx"

	"causeway/model"
)

// Format constants of every exported file.
const (
	// Opset is the ONNX operator set version of the default domain.
	Opset = 13
	// IRVersion is the ONNX IR version written in ModelProto.ir_version.
	IRVersion = 8
	// Producer is ModelProto.producer_name.
	Producer = "causeway"
)

// Keys of the metadata_props of an exported model. Sizes and flags are
// decimal strings; PropConfig holds the complete model.Config as JSON and
// PropContract the tensor contract as JSON (contract.PairSpecs or
// contract.DataSetSpecs).
const (
	PropName          = "name"
	PropVariant       = "variant"
	PropDModel        = "d_model"
	PropHeads         = "heads"
	PropLayers        = "layers"
	PropStructLayers  = "struct_layers"
	PropFF            = "ff"
	PropActivation    = "activation"
	PropMaxNodes      = "max_nodes"
	PropEquivariant   = "equivariant"
	PropParameters    = "parameters"
	PropTrainingSteps = "training_steps"
	PropSeed          = "seed"
	PropVersion       = "causeway_version"
	PropConfig        = "config"
	PropContract      = "contract"
)

// Props returns m's metadata_props as a map.
func Props(m *onnx.ModelProto) map[string]string {
	out := make(map[string]string, len(m.GetMetadataProps()))
	for _, kv := range m.GetMetadataProps() {
		out[kv.GetKey()] = kv.GetValue()
	}
	return out
}

// ConfigOf returns the architecture recorded in the metadata of a model that
// Build produced.
func ConfigOf(m *onnx.ModelProto) (model.Config, error) {
	s, ok := Props(m)[PropConfig]
	if !ok {
		return model.Config{}, fmt.Errorf("onnxfile: model %q has no %q metadata (not exported by causeway?)", m.GetGraph().GetName(), PropConfig)
	}
	var c model.Config
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return model.Config{}, fmt.Errorf("onnxfile: model %q: config metadata: %w", m.GetGraph().GetName(), err)
	}
	if err := c.Validate(); err != nil {
		return model.Config{}, fmt.Errorf("onnxfile: model %q: config metadata: %w", m.GetGraph().GetName(), err)
	}
	return c, nil
}

// ParamsOf reads back the parameters of an exported model: every
// parameter of its recorded architecture (model.Specs), from the FLOAT
// initializer of the same name (raw data or float_data), checked against
// the architecture (model.Params.Check). With the float64 reference
// (model.NewReference) this scores or checks a shipped .onnx file without
// its checkpoint.
func ParamsOf(m *onnx.ModelProto) (model.Config, model.Params, error) {
	c, err := ConfigOf(m)
	if err != nil {
		return c, nil, err
	}
	inits := map[string]*onnx.TensorProto{}
	for _, t := range m.GetGraph().GetInitializer() {
		inits[t.GetName()] = t
	}
	p := model.Params{}
	for _, sp := range model.Specs(c) {
		t, ok := inits[sp.Name]
		if !ok {
			return c, nil, fmt.Errorf("onnxfile: parameter %s is missing from the graph", sp.Name)
		}
		if onnx.TensorProto_DataType(t.GetDataType()) != onnx.TensorProto_FLOAT {
			return c, nil, fmt.Errorf("onnxfile: parameter %s is not FLOAT", sp.Name)
		}
		data := t.GetFloatData()
		if raw := t.GetRawData(); len(raw) > 0 {
			if len(raw) != 4*sp.Size() {
				return c, nil, fmt.Errorf("onnxfile: parameter %s has %d bytes, shape %v wants %d", sp.Name, len(raw), sp.Shape, 4*sp.Size())
			}
			data = make([]float32, sp.Size())
			for i := range data {
				data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		p[sp.Name] = &model.Tensor{Shape: append([]int(nil), sp.Shape...), Data: append([]float32(nil), data...)}
	}
	if err := p.Check(c); err != nil {
		return c, nil, fmt.Errorf("onnxfile: %w", err)
	}
	return c, p, nil
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// CheckName reports whether name can name a model in a model repository (a
// single directory name of letters, digits, '.', '_' and '-').
func CheckName(name string) error {
	if !validName.MatchString(name) {
		return fmt.Errorf("model name %q: use letters, digits, '.', '_' and '-', starting with a letter or digit", name)
	}
	return nil
}
