// Package export renders a causeway model as an ONNX graph (opset 13, with
// dynamic batch, sample and node dimensions) that onnxruntime and causeway's
// pure-Go executor both run, and writes it as a .onnx file and, optionally,
// as a Triton / KServe model repository.
//
// The graph is produced by model.Forward itself, on a model.Builder whose
// tensor handles are ONNX value names, so the exported file computes the
// same function as the reference and the training renderings. Its inputs
// and outputs are its tensor contract (package contract: base_samples,
// int_samples, target_row, int_mask → delta, adj_logits for Models A–E;
// samples, intervened, query_mask, query_value → adj_logits, effect for
// Model F); its parameters are
// initializers named as model.Specs names them; the operators it uses are
// listed by Ops.
package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"causeway/contract"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

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

// Metadata describes where an exported model comes from. It is written,
// together with the architecture, into the model's metadata_props.
type Metadata struct {
	// Name is the model's name: the graph name and the Triton model name.
	// Empty means "model-" and the lower-case variant, as "model-a".
	Name string
	// Steps is the number of training steps of the checkpoint.
	Steps int64
	// Seed is the training seed.
	Seed uint64
	// Version is the causeway version that exported the model.
	Version string
}

// Keys of the metadata_props of an exported model. Sizes and flags are
// decimal strings; PropConfig holds the complete model.Config as JSON and
// PropContract the tensor contract as JSON (see Contract).
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

// Contract returns the inputs and outputs of the sample-pair models' exports
// (contract.PairSpecs).
func Contract() (inputs, outputs []contract.Spec) { return contract.PairSpecs() }

// DataSetContract returns the inputs and outputs of the data-set models'
// exports (contract.DataSetSpecs).
func DataSetContract() (inputs, outputs []contract.Spec) { return contract.DataSetSpecs() }

func (m Metadata) name(c model.Config) string {
	if m.Name != "" {
		return m.Name
	}
	return "model-" + strings.ToLower(string(c.Variant))
}

// Build renders the model (cfg, p) as an ONNX model: the contract's inputs
// and outputs with dynamic B, S and N, the parameters as initializers and
// meta, the architecture and the contract in metadata_props.
func Build(cfg model.Config, p model.Params, meta Metadata) (*onnx.ModelProto, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("export: config: %w", err)
	}
	if err := p.Check(cfg); err != nil {
		return nil, fmt.Errorf("export: parameters: %w", err)
	}
	name := meta.name(cfg)
	b := newGraph(cfg, p, name)
	ins, outs := Contract()
	if cfg.Variant.DataSet() {
		ins, outs = DataSetContract()
		b.base = contract.Samples
	}
	for _, t := range ins {
		b.names[t.Name] = true
		b.g.Input = append(b.g.Input, valueInfo(t))
	}
	var first, second string
	if cfg.Variant.DataSet() {
		first, second = model.ForwardDataSet[string](b, cfg, contract.Samples, contract.Intervened, contract.QueryMask, contract.QueryValue)
	} else {
		first, second = model.Forward[string](b, cfg, contract.BaseSamples, contract.IntSamples, contract.TargetRow, contract.IntMask)
	}
	if b.err != nil {
		return nil, fmt.Errorf("export: %w", b.err)
	}
	if first == second || b.inits[first] || b.inits[second] {
		return nil, errors.New("export: the forward returned an input or initializer as an output")
	}
	b.rename(first, outs[0].Name)
	b.rename(second, outs[1].Name)
	for _, t := range outs {
		b.g.Output = append(b.g.Output, valueInfo(t))
	}
	b.g.DocString = docString(cfg, name)
	if cfg.Variant.DataSet() {
		b.g.DocString = dataSetDocString(cfg, name)
	}

	ops := Ops()
	allowed := map[string]bool{}
	for _, op := range ops {
		allowed[op] = true
	}
	for _, op := range opTypes(b.g) {
		if !allowed[op] {
			return nil, fmt.Errorf("export: internal error: operator %s is not in export.Ops", op)
		}
	}

	var contractJSON bytes.Buffer
	enc := json.NewEncoder(&contractJSON)
	enc.SetEscapeHTML(false) // keep "->" readable
	if err := enc.Encode(map[string][]contract.Spec{"inputs": ins, "outputs": outs}); err != nil {
		return nil, fmt.Errorf("export: contract: %w", err)
	}
	props := [][2]string{
		{PropName, name},
		{PropVariant, string(cfg.Variant)},
		{PropDModel, strconv.Itoa(cfg.DModel)},
		{PropHeads, strconv.Itoa(cfg.Heads)},
		{PropLayers, strconv.Itoa(cfg.Layers)},
		{PropStructLayers, strconv.Itoa(cfg.StructLayers)},
		{PropFF, strconv.Itoa(cfg.FF)},
		{PropActivation, string(cfg.Activation)},
		{PropMaxNodes, strconv.Itoa(cfg.MaxNodes)},
		{PropEquivariant, strconv.FormatBool(cfg.Equivariant)},
		{PropParameters, strconv.Itoa(p.Count())},
		{PropTrainingSteps, strconv.FormatInt(meta.Steps, 10)},
		{PropSeed, strconv.FormatUint(meta.Seed, 10)},
		{PropVersion, meta.Version},
		{PropConfig, cfg.JSON()},
		{PropContract, strings.TrimSpace(contractJSON.String())},
	}
	m := &onnx.ModelProto{
		IrVersion:       IRVersion,
		OpsetImport:     []*onnx.OperatorSetIdProto{{Domain: "", Version: Opset}},
		ProducerName:    Producer,
		ProducerVersion: meta.Version,
		DocString:       b.g.DocString,
		Graph:           b.g,
	}
	for _, kv := range props {
		m.MetadataProps = append(m.MetadataProps, &onnx.StringStringEntryProto{Key: kv[0], Value: kv[1]})
	}
	return m, nil
}

func dataSetDocString(c model.Config, name string) string {
	return fmt.Sprintf("causeway %s: variant %s data-set model (d_model %d, %d heads, %d axial layers, ff %d, max_nodes %d). "+
		"Inputs samples and intervened [B,R,N], query_mask [B,Q,N], query_value [B,Q] (float32); "+
		"outputs adj_logits [B,N,N] ([b][i][j] is the logit of the edge i -> j) and effect [B,Q,N] "+
		"(predicted E[X | do(X_k = v)] - E[X]). B, R, N and Q are dynamic; N <= max_nodes, R >= 2, Q >= 1.",
		name, c.Variant, c.DModel, c.Heads, c.Layers, c.FF, c.MaxNodes)
}

func docString(c model.Config, name string) string {
	eq := ""
	if c.Equivariant {
		eq = ", equivariant"
	}
	return fmt.Sprintf("causeway %s: variant %s transformer (d_model %d, %d heads, %d layers, ff %d, max_nodes %d%s). "+
		"Inputs base_samples and int_samples [B,S,N], target_row and int_mask [B,N] (float32); "+
		"outputs delta [B,N] (predicted intervened_row - target_row) and adj_logits [B,N,N] "+
		"([b][i][j] is the logit of the edge i -> j). B, S and N are dynamic; N <= max_nodes, S >= 2.",
		name, c.Variant, c.DModel, c.Heads, c.Layers, c.FF, c.MaxNodes, eq)
}

func valueInfo(t contract.Spec) *onnx.ValueInfoProto {
	dims := make([]*onnx.TensorShapeProto_Dimension, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = &onnx.TensorShapeProto_Dimension{Value: &onnx.TensorShapeProto_Dimension_DimParam{DimParam: d}}
	}
	return &onnx.ValueInfoProto{
		Name:      t.Name,
		DocString: t.Doc,
		Type: &onnx.TypeProto{Value: &onnx.TypeProto_TensorType{TensorType: &onnx.TypeProto_Tensor{
			ElemType: int32(onnx.TensorProto_FLOAT),
			Shape:    &onnx.TensorShapeProto{Dim: dims},
		}}},
	}
}

// Marshal encodes m in the protobuf wire format of a .onnx file. Equal
// models give identical bytes.
func Marshal(m *onnx.ModelProto) ([]byte, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("export: marshal: %w", err)
	}
	return b, nil
}

// Unmarshal decodes a .onnx file's bytes.
func Unmarshal(data []byte) (*onnx.ModelProto, error) {
	m := &onnx.ModelProto{}
	if err := proto.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("export: not an ONNX model: %w", err)
	}
	return m, nil
}

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
		return model.Config{}, fmt.Errorf("export: model %q has no %q metadata (not exported by causeway?)", m.GetGraph().GetName(), PropConfig)
	}
	var c model.Config
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return model.Config{}, fmt.Errorf("export: model %q: config metadata: %w", m.GetGraph().GetName(), err)
	}
	if err := c.Validate(); err != nil {
		return model.Config{}, fmt.Errorf("export: model %q: config metadata: %w", m.GetGraph().GetName(), err)
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
			return c, nil, fmt.Errorf("export: parameter %s is missing from the graph", sp.Name)
		}
		if onnx.TensorProto_DataType(t.GetDataType()) != onnx.TensorProto_FLOAT {
			return c, nil, fmt.Errorf("export: parameter %s is not FLOAT", sp.Name)
		}
		data := t.GetFloatData()
		if raw := t.GetRawData(); len(raw) > 0 {
			if len(raw) != 4*sp.Size() {
				return c, nil, fmt.Errorf("export: parameter %s has %d bytes, shape %v wants %d", sp.Name, len(raw), sp.Shape, 4*sp.Size())
			}
			data = make([]float32, sp.Size())
			for i := range data {
				data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		p[sp.Name] = &model.Tensor{Shape: append([]int(nil), sp.Shape...), Data: append([]float32(nil), data...)}
	}
	if err := p.Check(c); err != nil {
		return c, nil, fmt.Errorf("export: %w", err)
	}
	return c, p, nil
}
