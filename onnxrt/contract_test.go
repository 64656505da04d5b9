package onnxrt

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"causeway/contract"
	"causeway/onnxfile"

	"github.com/advancedclimatesystems/gonnx/onnx"

	"causeway/export"
	"causeway/model"
)

// mutated exports a small Model A, applies f to the ModelProto and returns
// the bytes.
func mutated(t *testing.T, f func(m *onnx.ModelProto)) []byte {
	t.Helper()
	c := smallConfig(model.VariantA, false)
	p, err := model.Init(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	mp, err := export.Build(c, p, export.Metadata{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	f(mp)
	b, err := export.Marshal(mp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func findInput(m *onnx.ModelProto, name string) *onnx.ValueInfoProto {
	for _, v := range append(m.Graph.Input, m.Graph.Output...) {
		if v.Name == name {
			return v
		}
	}
	panic(name)
}

// TestRejects loads hand-broken models and checks that each error says
// what is wrong.
func TestRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		want string
	}{
		{"not onnx", []byte("definitely not a protobuf \xff\xff"), "not an ONNX model"},
		{"renamed input", mutated(t, func(m *onnx.ModelProto) {
			findInput(m, contract.IntMask).Name = "mask"
		}), "inputs [base_samples int_samples mask target_row] do not match the contract base_samples, int_samples, target_row, int_mask (missing [int_mask], unexpected [mask])"},
		{"extra output", mutated(t, func(m *onnx.ModelProto) {
			m.Graph.Output = append(m.Graph.Output, &onnx.ValueInfoProto{Name: "encoder/features/clip"})
		}), "unexpected [encoder/features/clip]"},
		{"missing output", mutated(t, func(m *onnx.ModelProto) {
			m.Graph.Output = m.Graph.Output[:1]
		}), "missing [adj_logits]"},
		{"int64 input", mutated(t, func(m *onnx.ModelProto) {
			findInput(m, contract.TargetRow).Type.GetTensorType().ElemType = int32(onnx.TensorProto_INT64)
		}), "input target_row is not a float32 tensor"},
		{"wrong rank", mutated(t, func(m *onnx.ModelProto) {
			tt := findInput(m, contract.BaseSamples).Type.GetTensorType()
			tt.Shape.Dim = tt.Shape.Dim[:2]
		}), "input base_samples has rank 2, the contract wants [B,S,N]"},
		{"fixed dimension", mutated(t, func(m *onnx.ModelProto) {
			tt := findInput(m, contract.AdjLogits).Type.GetTensorType()
			tt.Shape.Dim[1].Value = &onnx.TensorShapeProto_Dimension_DimValue{DimValue: 20}
		}), "output adj_logits has dimension 1 fixed at 20"},
		{"opset 12", mutated(t, func(m *onnx.ModelProto) {
			m.OpsetImport[0].Version = 12
		}), "opset 12: the executor runs opset 13 models"},
		{"no metadata", mutated(t, func(m *onnx.ModelProto) {
			m.MetadataProps = nil
		}), "not a causeway export"},
		{"unknown operator", mutated(t, func(m *onnx.ModelProto) {
			for _, n := range m.Graph.Node {
				if n.OpType == "Erf" {
					n.OpType = "Gelu"
				}
			}
		}), "unsupported operators: Gelu (node layer0/ff/linear1/gelu/Erf)"},
		{"dangling input", mutated(t, func(m *onnx.ModelProto) {
			m.Graph.Node[3].Input[0] = "nowhere"
		}), "reads nowhere, which no node, input or initializer defines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadBytes("x", tc.b)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "onnxrt: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestRunValidates checks Run's input validation messages.
func TestRunValidates(t *testing.T) {
	c := smallConfig(model.VariantA, false)
	c.MaxNodes = 8
	_, b := exported(t, c, 1)
	m, err := LoadBytes("", b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "model-a" || m.Config().MaxNodes != 8 || m.Metadata()[onnxfile.PropVariant] != "A" {
		t.Errorf("name %q, config %+v, metadata %v", m.Name(), m.Config(), m.Metadata())
	}
	rng := rand.New(rand.NewPCG(1, 1))
	good := randomInputs(rng, 2, 5, 4, false)
	nan := randomInputs(rng, 2, 5, 4, false)
	nan.Int[1*5*4+2*4+3] = float32(math.NaN())
	inf := randomInputs(rng, 2, 5, 4, false)
	inf.Target[5] = float32(math.Inf(-1))
	short := randomInputs(rng, 2, 5, 4, false)
	short.Mask = short.Mask[:7]
	for _, tc := range []struct {
		in   contract.Pairs
		want string
	}{
		{randomInputs(rng, 1, 5, 9, false), "9 nodes: the model supports at most max_nodes=8"},
		{randomInputs(rng, 1, 1, 3, false), "need at least 2 for a standard deviation"},
		{contract.Pairs{B: 0, S: 3, N: 3}, "batch size 0"},
		{nan, "int_samples[1,2,3] is NaN: inputs must be finite"},
		{inf, "target_row[1,1] is -Inf"},
		{short, "int_mask has 7 values, shape [B,N] = [2,4] wants 8"},
	} {
		if _, err := m.Run(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("B=%d S=%d N=%d: error %v, want it to contain %q", tc.in.B, tc.in.S, tc.in.N, err, tc.want)
		}
	}
	if _, err := m.Run(good); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrent runs one model from 8 goroutines with different shapes
// and checks every result against a sequential run (run it with -race).
func TestConcurrent(t *testing.T) {
	_, b := exported(t, smallConfig(model.VariantD, false), 4)
	m, err := LoadBytes("", b)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	var ins []contract.Pairs
	var want []Outputs
	for i := 0; i < 8; i++ {
		in := randomInputs(rng, 1+i%3, 6+i, 3+2*i, false)
		out, err := m.Run(in)
		if err != nil {
			t.Fatal(err)
		}
		ins, want = append(ins, in), append(want, out)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := 0; r < 10; r++ {
				i := (g + r) % len(ins)
				out, err := m.Run(ins[i])
				if err != nil {
					errs <- err.Error()
					return
				}
				if maxDiff(out.Delta, want[i].Delta) != 0 || maxDiff(out.AdjLogits, want[i].AdjLogits) != 0 {
					errs <- "concurrent result differs from the sequential one"
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSteadyStateAllocs checks that repeated runs reuse their buffers.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops states at random under -race")
	}
	_, b := exported(t, smallConfig(model.VariantA, false), 4)
	m, err := LoadBytes("", b)
	if err != nil {
		t.Fatal(err)
	}
	in := randomInputs(rand.New(rand.NewPCG(3, 3)), 4, 20, 10, false)
	if _, err := m.Run(in); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := m.Run(in); err != nil {
			t.Fatal(err)
		}
	})
	// The two returned outputs plus the Check closure's few; the plan has
	// ~60 kernels, so per-kernel allocation would show.
	if allocs > 10 {
		t.Errorf("%.0f allocations per run, want ≤ 10", allocs)
	}
}

// TestRunContext: a live context gives Run's results; an ended one stops
// the run with an error that wraps the context's, and leaves the model
// working.
func TestRunContext(t *testing.T) {
	_, b := exported(t, smallConfig(model.VariantA, false), 4)
	m, err := LoadBytes("", b)
	if err != nil {
		t.Fatal(err)
	}
	in := randomInputs(rand.New(rand.NewPCG(5, 5)), 2, 12, 6, false)
	want, err := m.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	live, cancelLive := context.WithTimeout(context.Background(), time.Hour)
	defer cancelLive()
	got, err := m.RunContext(live, in)
	if err != nil {
		t.Fatal(err)
	}
	if maxDiff(got.Delta, want.Delta) != 0 || maxDiff(got.AdjLogits, want.AdjLogits) != 0 {
		t.Error("RunContext with a live context differs from Run")
	}
	for _, tc := range []struct {
		name string
		ctx  func() context.Context
		want error
	}{
		{"canceled", func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}, context.Canceled},
		{"deadline", func() context.Context {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := m.RunContext(tc.ctx(), in)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "stopped before node") {
				t.Fatalf("error %v, want one wrapping %v", err, tc.want)
			}
			if out.Delta != nil || out.AdjLogits != nil {
				t.Error("a stopped run returned outputs")
			}
			again, err := m.Run(in)
			if err != nil {
				t.Fatal(err)
			}
			if maxDiff(again.Delta, want.Delta) != 0 || maxDiff(again.AdjLogits, want.AdjLogits) != 0 {
				t.Error("a run after a stopped one differs")
			}
		})
	}
}
