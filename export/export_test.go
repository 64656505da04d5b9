package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"causeway/contract"
	"causeway/onnxfile"

	"github.com/advancedclimatesystems/gonnx/onnx"

	"causeway/model"
)

func build(t *testing.T, c model.Config, meta Metadata) (*onnx.ModelProto, model.Params) {
	t.Helper()
	p, err := model.Init(c, 5)
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(c, p, meta)
	if err != nil {
		t.Fatalf("%s: %v", c.Variant, err)
	}
	return m, p
}

func shapeOf(v *onnx.ValueInfoProto) []string {
	var out []string
	for _, d := range v.GetType().GetTensorType().GetShape().GetDim() {
		if d.GetDimParam() != "" {
			out = append(out, d.GetDimParam())
		} else {
			out = append(out, fmt.Sprint(d.GetDimValue()))
		}
	}
	return out
}

func TestBuildStructure(t *testing.T) {
	for _, v := range model.Variants {
		for _, eq := range []bool{false, true} {
			c := smallConfig(v, eq)
			m, p := build(t, c, Metadata{Version: "1.2.3"})
			g := m.GetGraph()
			if m.GetIrVersion() != 8 || m.GetProducerName() != "causeway" || m.GetProducerVersion() != "1.2.3" {
				t.Errorf("%s: ir %d producer %q %q", v, m.GetIrVersion(), m.GetProducerName(), m.GetProducerVersion())
			}
			if len(m.GetOpsetImport()) != 1 || m.GetOpsetImport()[0].GetDomain() != "" || m.GetOpsetImport()[0].GetVersion() != 13 {
				t.Errorf("%s: opset_import %v", v, m.GetOpsetImport())
			}
			if m.GetDocString() == "" || g.GetName() != "model-"+strings.ToLower(string(v)) {
				t.Errorf("%s: doc %q, graph name %q", v, m.GetDocString(), g.GetName())
			}
			wantIO := map[string][]string{
				"base_samples": {"B", "S", "N"}, "int_samples": {"B", "S", "N"},
				"target_row": {"B", "N"}, "int_mask": {"B", "N"},
				"delta": {"B", "N"}, "adj_logits": {"B", "N", "N"},
			}
			var names []string
			for _, vi := range append(slices.Clone(g.GetInput()), g.GetOutput()...) {
				names = append(names, vi.GetName())
				if got := shapeOf(vi); !slices.Equal(got, wantIO[vi.GetName()]) {
					t.Errorf("%s: %s has shape %v, want %v", v, vi.GetName(), got, wantIO[vi.GetName()])
				}
				if vi.GetType().GetTensorType().GetElemType() != int32(onnx.TensorProto_FLOAT) {
					t.Errorf("%s: %s is not float32", v, vi.GetName())
				}
			}
			if want := append(slices.Clone(contract.PairInputs), contract.PairOutputs...); !slices.Equal(names, want) {
				t.Errorf("%s: inputs+outputs %v, want %v", v, names, want)
			}
			// Every parameter is an initializer of the same name and shape.
			inits := map[string]*onnx.TensorProto{}
			for _, in := range g.GetInitializer() {
				inits[in.GetName()] = in
			}
			for _, sp := range model.Specs(c) {
				in, ok := inits[sp.Name]
				if !ok {
					t.Errorf("%s: no initializer %s", v, sp.Name)
					continue
				}
				if fmt.Sprint(in.GetDims()) != fmt.Sprint(sp.Shape) || len(in.GetRawData()) != 4*len(p[sp.Name].Data) {
					t.Errorf("%s: initializer %s dims %v (%d bytes), want %v", v, sp.Name, in.GetDims(), len(in.GetRawData()), sp.Shape)
				}
			}
			// Only listed ops, unique node names, and readable ones.
			seen := map[string]bool{}
			for _, n := range g.GetNode() {
				if !slices.Contains(Ops(), n.GetOpType()) {
					t.Errorf("%s: op %s not in Ops()", v, n.GetOpType())
				}
				if seen[n.GetName()] {
					t.Errorf("%s: node name %s repeated", v, n.GetName())
				}
				seen[n.GetName()] = true
				for _, a := range n.GetAttribute() {
					if a.GetType() == onnx.AttributeProto_INT && a.GetI() == 0 {
						t.Errorf("%s: node %s has INT attribute %s = 0, which proto3 does not encode", v, n.GetName(), a.GetName())
					}
				}
			}
			prefix := "layer0"
			if v == model.VariantD {
				prefix = "struct_layer0"
			}
			for _, want := range []string{prefix + "/attn/q_proj/MatMul", prefix + "/attn/softmax", prefix + "/norm1/mean", "dag/bilinear/MatMul", "encoder/features/clip"} {
				if !seen[want] {
					t.Errorf("%s: no node named %s", v, want)
				}
			}
			if eq == seen["encoder/pos_emb/Add"] {
				t.Errorf("%s equivariant=%t: position embedding node present=%t", v, eq, seen["encoder/pos_emb/Add"])
			}
		}
	}
}

func TestMetadataProps(t *testing.T) {
	c := model.DefaultConfig(model.VariantD)
	c.DModel, c.FF = 32, 64
	m, p := build(t, c, Metadata{Name: "model-d", Steps: 3000, Seed: 42, Version: "0.1.0"})
	props := onnxfile.Props(m)
	want := map[string]string{
		onnxfile.PropName: "model-d", onnxfile.PropVariant: "D", onnxfile.PropDModel: "32", onnxfile.PropHeads: "4", onnxfile.PropLayers: "4",
		onnxfile.PropStructLayers: "2", onnxfile.PropFF: "64", onnxfile.PropActivation: "relu", onnxfile.PropMaxNodes: "50",
		onnxfile.PropEquivariant: "false", onnxfile.PropTrainingSteps: "3000", onnxfile.PropSeed: "42", onnxfile.PropVersion: "0.1.0",
		onnxfile.PropParameters: fmt.Sprint(p.Count()),
	}
	for k, v := range want {
		if props[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, props[k], v)
		}
	}
	got, err := onnxfile.ConfigOf(m)
	if err != nil {
		t.Fatal(err)
	}
	if got != c {
		t.Errorf("config metadata %+v, want %+v", got, c)
	}
	var contract struct{ Inputs, Outputs []contract.Spec }
	if err := json.Unmarshal([]byte(props[onnxfile.PropContract]), &contract); err != nil {
		t.Fatalf("contract metadata: %v", err)
	}
	ins, outs := Contract()
	if fmt.Sprint(contract.Inputs) != fmt.Sprint(ins) || fmt.Sprint(contract.Outputs) != fmt.Sprint(outs) {
		t.Errorf("contract metadata %+v", contract)
	}
	if !strings.Contains(props[onnxfile.PropContract], "edge i -> j") {
		t.Errorf("contract does not document the adjacency orientation: %s", props[onnxfile.PropContract])
	}
}

func TestMarshalDeterministicRoundTrip(t *testing.T) {
	c := smallConfig(model.VariantE, false)
	m1, _ := build(t, c, Metadata{Version: "x"})
	m2, _ := build(t, c, Metadata{Version: "x"})
	b1, err := Marshal(m1)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := Marshal(m2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatal("two exports of the same model differ")
	}
	back, err := Unmarshal(b1)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.GetGraph().GetNode()) != len(m1.GetGraph().GetNode()) || onnxfile.Props(back)[onnxfile.PropVariant] != "E" {
		t.Fatal("round trip lost content")
	}
	if _, err := Unmarshal([]byte("not a model")); err == nil {
		t.Fatal("Unmarshal accepted garbage")
	}
}

func TestBuildRejects(t *testing.T) {
	c := smallConfig(model.VariantA, false)
	p, err := model.Init(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	bad := c
	bad.Variant = "G"
	if _, err := Build(bad, p, Metadata{}); err == nil || !strings.Contains(err.Error(), "unknown variant") {
		t.Errorf("unknown variant: %v", err)
	}
	delete(p, "dag/parent/weight")
	if _, err := Build(c, p, Metadata{}); err == nil || !strings.Contains(err.Error(), "parameter") {
		t.Errorf("missing parameter: %v", err)
	}
}
