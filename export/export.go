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
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"causeway/contract"
	"causeway/onnxfile"

	"github.com/advancedclimatesystems/gonnx/onnx"
	"google.golang.org/protobuf/proto"

	"causeway/model"
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
	first, second, err := b.forward()
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
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
		{onnxfile.PropName, name},
		{onnxfile.PropVariant, string(cfg.Variant)},
		{onnxfile.PropDModel, strconv.Itoa(cfg.DModel)},
		{onnxfile.PropHeads, strconv.Itoa(cfg.Heads)},
		{onnxfile.PropLayers, strconv.Itoa(cfg.Layers)},
		{onnxfile.PropStructLayers, strconv.Itoa(cfg.StructLayers)},
		{onnxfile.PropFF, strconv.Itoa(cfg.FF)},
		{onnxfile.PropActivation, string(cfg.Activation)},
		{onnxfile.PropMaxNodes, strconv.Itoa(cfg.MaxNodes)},
		{onnxfile.PropEquivariant, strconv.FormatBool(cfg.Equivariant)},
		{onnxfile.PropParameters, strconv.Itoa(p.Count())},
		{onnxfile.PropTrainingSteps, strconv.FormatInt(meta.Steps, 10)},
		{onnxfile.PropSeed, strconv.FormatUint(meta.Seed, 10)},
		{onnxfile.PropVersion, meta.Version},
		{onnxfile.PropConfig, cfg.JSON()},
		{onnxfile.PropContract, strings.TrimSpace(contractJSON.String())},
	}
	m := &onnx.ModelProto{
		IrVersion:       onnxfile.IRVersion,
		OpsetImport:     []*onnx.OperatorSetIdProto{{Domain: "", Version: onnxfile.Opset}},
		ProducerName:    onnxfile.Producer,
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
