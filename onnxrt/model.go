package onnxrt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"causeway/contract"
	"causeway/internal/gemm"
	"causeway/onnxfile"

	"github.com/advancedclimatesystems/gonnx"
	"github.com/advancedclimatesystems/gonnx/onnx"

	"causeway/model"
)

// Model is a loaded causeway export, compiled for execution. It is
// immutable after Load and safe for concurrent use by many goroutines:
// each Run takes its working memory from a pool.
type Model struct {
	name  string
	cfg   model.Config
	meta  map[string]string
	plan  *plan
	pool  sync.Pool
	nodes int // ONNX nodes before fusion
	// scores is set when some attention's score tensor is a graph value
	// (a Softmax the fusion did not absorb), so WorkingBytes counts it.
	scores bool
}

// Outputs are the model's results for one batch: Delta [B,N] and
// AdjLogits [B,N,N] ([b][i][j] is the logit of the edge i → j; the
// diagonal holds contract.DiagLogit). The slices belong to the caller.
type Outputs struct {
	Delta, AdjLogits []float32
}

// Load reads and compiles the .onnx file at path. The model's name is the
// name recorded in its metadata, else the file's base name without
// extension. It is LoadContext with no deadline and the default options.
func Load(path string) (*Model, error) {
	return LoadContext(context.Background(), path, LoadOptions{})
}

// MaxFileBytes is the default bound on the size of a model file Load reads
// (LoadOptions.MaxFileBytes; causeway's exports are 1–15 MB).
const MaxFileBytes = 1 << 30

// LoadOptions tune LoadContext.
type LoadOptions struct {
	// MaxFileBytes bounds the size of the model file; a larger one is
	// refused before it is read, with an error wrapping ErrFileTooLarge.
	// Zero means MaxFileBytes (1 GiB).
	MaxFileBytes int64
}

// ErrFileTooLarge is wrapped by the error of a load refused because the
// file is larger than LoadOptions.MaxFileBytes (callers add the flag that
// raises the bound).
var ErrFileTooLarge = errors.New("model file too large")

// LoadContext is Load with options that gives up when ctx ends. It looks
// at ctx between the phases of a load (read, protobuf parse, contract and
// parameter checks, compilation, packing) and before every node of the
// smoke run (see RunContext), and then returns an error wrapping
// ctx.Err(). A single phase cannot be interrupted: the protobuf parse of
// gonnx in particular runs to its end, but its work is linear in the
// file's size, which MaxFileBytes bounds (8 ms for a 14 MB export), so an
// abandoned load stops soon after its deadline instead of working on.
func LoadContext(ctx context.Context, path string, opts LoadOptions) (*Model, error) {
	limit := opts.MaxFileBytes
	if limit <= 0 {
		limit = MaxFileBytes
	}
	b, err := readModelFile(path, limit)
	if err != nil {
		return nil, fmt.Errorf("onnxrt: %w", err)
	}
	m, err := loadBytes(ctx, "", b, true)
	if err != nil {
		return nil, fmt.Errorf("onnxrt: %s: %w", path, err)
	}
	if m.meta[onnxfile.PropName] == "" {
		m.name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return m, nil
}

// readModelFile reads a model file: a regular file (a symbolic link is
// followed) of at most limit bytes. A FIFO, a device (/dev/zero) or a
// directory is refused before it is opened, so it can neither block nor
// stream without end.
func readModelFile(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s): model files must be regular files", path, st.Mode().Type())
	}
	tooLarge := func(size string) error {
		return fmt.Errorf("%w: %s has %s bytes, over the limit of %s", ErrFileTooLarge, path, size, formatLimit(limit))
	}
	if st.Size() > limit {
		return nil, tooLarge(strconv.FormatInt(st.Size(), 10))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: model files must be regular files", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, tooLarge("more than " + strconv.FormatInt(limit, 10)) // it grew while being read
	}
	return b, nil
}

// formatLimit formats a byte count as "1 GiB (1073741824 bytes)", or just
// the bytes when that is no whole number of KiB, MiB or GiB.
func formatLimit(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s (%d bytes)", n/u.size, u.name, n)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// LoadBytes compiles a model from the bytes of a .onnx file (for example
// one embedded with go:embed). name names the model; empty means the name
// recorded in its metadata (else its graph name).
//
// It rejects files that are not a causeway export: no architecture in the
// metadata, an opset other than 13, inputs or outputs that differ from the
// tensor contract (names, float32, ranks, dynamic dimensions), operators
// outside SupportedOps, or a malformed graph.
func LoadBytes(name string, b []byte) (*Model, error) {
	m, err := loadBytes(context.Background(), name, b, true)
	if err != nil {
		return nil, fmt.Errorf("onnxrt: %w", err)
	}
	return m, nil
}

// loadBytes parses and compiles a model, giving up when ctx ends (see
// LoadContext); without fuse every ONNX node runs its generic kernel
// (tests use it to exercise the unfused path).
func loadBytes(ctx context.Context, name string, b []byte, fuse bool) (*Model, error) {
	if err := loadPhase(ctx, "parsing"); err != nil {
		return nil, err
	}
	mp, err := gonnx.ModelProtoFromBytes(b)
	if err != nil {
		return nil, fmt.Errorf("not an ONNX model: %w", err)
	}
	m, err := compile(ctx, mp, fuse)
	if err != nil {
		return nil, err
	}
	switch {
	case name != "":
		m.name = name
	case m.meta[onnxfile.PropName] != "":
		m.name = m.meta[onnxfile.PropName]
	default:
		m.name = mp.GetGraph().GetName()
	}
	return m, nil
}

// loadPhase returns an error wrapping ctx.Err() if ctx has ended before
// the named phase of a load.
func loadPhase(ctx context.Context, phase string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("load stopped before %s: %w", phase, err)
	}
	return nil
}

func compile(ctx context.Context, mp *onnx.ModelProto, fuse bool) (*Model, error) {
	if err := loadPhase(ctx, "checking the contract"); err != nil {
		return nil, err
	}
	g := mp.GetGraph()
	if g == nil {
		return nil, errors.New("the model has no graph")
	}
	opset := int64(-1)
	for _, o := range mp.GetOpsetImport() {
		if o.GetDomain() == "" || o.GetDomain() == "ai.onnx" {
			opset = o.GetVersion()
		}
	}
	if opset != onnxfile.Opset {
		return nil, fmt.Errorf("opset %d: the executor runs opset %d models (export them with causeway export)", opset, onnxfile.Opset)
	}
	cfg, err := onnxfile.ConfigOf(mp)
	if err != nil {
		return nil, fmt.Errorf("not a causeway export: %w", err)
	}
	inputs, outputs, err := checkContract(g, cfg.Variant.DataSet())
	if err != nil {
		return nil, err
	}
	if err := checkParams(g, cfg); err != nil {
		return nil, err
	}
	if err := loadPhase(ctx, "decoding the graph"); err != nil {
		return nil, err
	}
	x, err := newIR(g, inputs, outputs)
	if err != nil {
		return nil, err
	}
	if fuse {
		if err := loadPhase(ctx, "fusing"); err != nil {
			return nil, err
		}
		x.fuse()
	}
	if err := loadPhase(ctx, "compiling the plan"); err != nil {
		return nil, err
	}
	p, err := x.compile(inputs, outputs)
	if err != nil {
		return nil, err
	}
	m := &Model{cfg: cfg, meta: onnxfile.Props(mp), plan: p, nodes: len(g.GetNode()), scores: x.keepsScores()}
	m.pool.New = func() any { return newState(p) }
	if err := loadPhase(ctx, "the smoke run"); err != nil {
		return nil, err
	}
	if err := m.smokeTest(ctx); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return nil, fmt.Errorf("load stopped during the smoke run: %w", err)
		}
		return nil, fmt.Errorf("the model does not run on a tiny input (its file is inconsistent): %w", err)
	}
	return m, nil
}

// checkParams verifies that the graph holds every parameter its recorded
// architecture has (model.Specs), each with the architecture's shape, so a
// file whose metadata and weights disagree (swapped dimensions, a forged
// max_nodes) is refused at load instead of failing every request.
func checkParams(g *onnx.GraphProto, cfg model.Config) error {
	dims := map[string][]int64{}
	for _, t := range g.GetInitializer() {
		dims[t.GetName()] = t.GetDims()
	}
	specs := model.Specs(cfg)
	// The constants whose size is max_nodes must agree with it too (a
	// forged max_nodes would otherwise admit N the graph cannot slice).
	for _, sp := range []model.Spec{{Name: "const/eye", Shape: []int{cfg.MaxNodes, cfg.MaxNodes}}, {Name: "const/ones_column", Shape: []int{cfg.MaxNodes, 1}}} {
		if _, ok := dims[sp.Name]; ok {
			specs = append(specs, sp)
		}
	}
	for _, sp := range specs {
		d, ok := dims[sp.Name]
		if !ok {
			return fmt.Errorf("parameter %s of the recorded Model %s architecture is missing from the graph", sp.Name, cfg.Variant)
		}
		if len(d) != len(sp.Shape) {
			return fmt.Errorf("parameter %s has shape %v, the recorded architecture wants %v", sp.Name, d, sp.Shape)
		}
		for i := range d {
			if d[i] != int64(sp.Shape[i]) {
				return fmt.Errorf("parameter %s has shape %v, the recorded architecture wants %v", sp.Name, d, sp.Shape)
			}
		}
	}
	return nil
}

// smokeTest runs the model once on a tiny input of its contract (2
// variables; 2 samples, or 3 rows and 1 query) and checks the outputs'
// shapes and finiteness. It stops when ctx ends (RunContext).
func (m *Model) smokeTest(ctx context.Context) error {
	const n = 2
	if m.DataSet() {
		d := &contract.DataSet{B: 1, R: 3, N: n, Q: 1, Samples: []float32{0, 1, 1, 0, 2, 3},
			Intervened: make([]float32, 3*n), QueryMask: []float32{1, 0}, QueryValue: []float32{1}}
		out, err := m.RunDataSet(ctx, d)
		if err != nil {
			return err
		}
		return finiteOutputs(out.AdjLogits, out.Effect)
	}
	in := contract.Pairs{B: 1, S: 2, N: n, Base: []float32{0, 1, 1, 0}, Int: []float32{1, 1, 1, 2},
		Target: []float32{0, 0}, Mask: []float32{1, 0}}
	out, err := m.RunContext(ctx, in)
	if err != nil {
		return err
	}
	return finiteOutputs(out.AdjLogits, out.Delta)
}

func finiteOutputs(outs ...[]float32) error {
	for _, o := range outs {
		for i, v := range o {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("output value %d is %v", i, v)
			}
		}
	}
	return nil
}

// checkContract verifies the graph's inputs and outputs against the tensor
// contract (contract.PairSpecs, or contract.DataSetSpecs for a data-set
// model): names, float32 element type, ranks, and dynamic dimensions. It
// returns the names in contract order.
func checkContract(g *onnx.GraphProto, dataSet bool) (inputs, outputs []string, err error) {
	inits := map[string]bool{}
	for _, t := range g.GetInitializer() {
		inits[t.GetName()] = true
	}
	wantIn, wantOut := contract.PairSpecs()
	if dataSet {
		wantIn, wantOut = contract.DataSetSpecs()
	}
	check := func(kind string, got []*onnx.ValueInfoProto, want []contract.Spec) ([]string, error) {
		byName := map[string]*onnx.ValueInfoProto{}
		var extra []string
		for _, v := range got {
			if kind == "input" && inits[v.GetName()] {
				continue // an initializer listed as input (IR < 4 style)
			}
			byName[v.GetName()] = v
		}
		var names, missing []string
		for _, w := range want {
			names = append(names, w.Name)
			if byName[w.Name] == nil {
				missing = append(missing, w.Name)
			}
		}
		for n := range byName {
			found := false
			for _, w := range want {
				found = found || w.Name == n
			}
			if !found {
				extra = append(extra, n)
			}
		}
		if len(missing) > 0 || len(extra) > 0 {
			var got []string
			for n := range byName {
				got = append(got, n)
			}
			return nil, fmt.Errorf("%ss %s do not match the contract %s (missing %s, unexpected %s)",
				kind, listNames(got), strings.Join(names, ", "), listNames(missing), listNames(extra))
		}
		for _, w := range want {
			v := byName[w.Name]
			tt := v.GetType().GetTensorType()
			if tt == nil || onnx.TensorProto_DataType(tt.GetElemType()) != onnx.TensorProto_FLOAT {
				return nil, fmt.Errorf("%s %s is not a float32 tensor (the contract wants float32 [%s])", kind, w.Name, strings.Join(w.Shape, ","))
			}
			if tt.GetShape() == nil {
				continue // unknown rank: checked when the model runs
			}
			dims := tt.GetShape().GetDim()
			if len(dims) != len(w.Shape) {
				return nil, fmt.Errorf("%s %s has rank %d, the contract wants [%s]", kind, w.Name, len(dims), strings.Join(w.Shape, ","))
			}
			for i, d := range dims {
				if d.GetDimParam() == "" && d.GetDimValue() > 0 {
					return nil, fmt.Errorf("%s %s has dimension %d fixed at %d; the contract wants dynamic [%s] (re-export with causeway export)",
						kind, w.Name, i, d.GetDimValue(), strings.Join(w.Shape, ","))
				}
			}
		}
		return names, nil
	}
	if inputs, err = check("input", g.GetInput(), wantIn); err != nil {
		return nil, nil, err
	}
	if outputs, err = check("output", g.GetOutput(), wantOut); err != nil {
		return nil, nil, err
	}
	return inputs, outputs, nil
}

func listNames(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return "[" + strings.Join(sortedCopy(v), " ") + "]"
}

func sortedCopy(v []string) []string {
	out := append([]string(nil), v...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// Name returns the model's name (see Load and LoadBytes).
func (m *Model) Name() string { return m.name }

// Config returns the architecture recorded in the model's metadata.
func (m *Model) Config() model.Config { return m.cfg }

// Metadata returns a copy of the model's metadata_props (onnxfile.Prop* keys).
func (m *Model) Metadata() map[string]string {
	out := make(map[string]string, len(m.meta))
	for k, v := range m.meta {
		out[k] = v
	}
	return out
}

// MaxNodes returns the largest N the model accepts.
func (m *Model) MaxNodes() int { return m.cfg.MaxNodes }

// Plan summarises the compiled plan for logs: how many ONNX nodes the file
// has and how many kernels of each kind run them.
func (m *Model) Plan() string {
	counts := map[string]int{}
	for _, n := range m.plan.nodes {
		counts[n.op]++
	}
	ops := make([]string, 0, len(counts))
	for op := range counts {
		ops = append(ops, op)
	}
	ops = sortedCopy(ops)
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = fmt.Sprintf("%s×%d", op, counts[op])
	}
	products := "matrix products on gemm path " + BLAS()
	if m.packed() {
		products = "Linear weights packed at load, " + products
	}
	if sparse := m.sparseLinears(); sparse > 0 {
		products += fmt.Sprintf(", %d Linear(s) skipping their ReLU input's zeros", sparse)
	}
	return fmt.Sprintf("%d ONNX nodes → %d kernels (%s), %s", m.nodes, len(m.plan.nodes), strings.Join(parts, " "), products)
}

// Check validates in against the model without running it (see
// contract.Pairs.Check, with the model's max_nodes).
func (m *Model) Check(in contract.Pairs) error {
	if err := in.Check(m.cfg.MaxNodes); err != nil {
		return fmt.Errorf("onnxrt: %s: %w", m.name, err)
	}
	return nil
}

// sparseLinears counts the Linears that skip their input's zeros on the
// current gemm path (the sparse product, with at least one whole group of
// columns for its kernels).
func (m *Model) sparseLinears() int {
	count := 0
	width := gemm.SparseWidth()
	for _, n := range m.plan.nodes {
		if l, ok := n.k.(*linearKernel); ok && l.skipsZeros() && width > 0 && l.nout >= width {
			count++
		}
	}
	return count
}

// packed reports whether the plan's Linear layers use packed weights.
func (m *Model) packed() bool {
	for _, n := range m.plan.nodes {
		if l, ok := n.k.(*linearKernel); ok && l.packed != nil {
			return true
		}
	}
	return false
}

// Run validates in (see Check) and runs the model on it.
func (m *Model) Run(in contract.Pairs) (Outputs, error) {
	return m.RunContext(context.Background(), in)
}

// RunContext is Run that gives up when ctx ends: it looks at ctx before
// each node of the plan (the largest takes milliseconds at the sizes a
// server admits, so a run stops soon after a deadline instead of holding
// its core to the end) and then returns an error that wraps ctx.Err().
func (m *Model) RunContext(ctx context.Context, in contract.Pairs) (Outputs, error) {
	if m.cfg.Variant.DataSet() {
		return Outputs{}, fmt.Errorf("onnxrt: %s is a data-set model (Model %s): run it with RunDataSet", m.name, m.cfg.Variant)
	}
	if err := m.Check(in); err != nil {
		return Outputs{}, err
	}
	s := m.pool.Get().(*state)
	out, err := m.run(ctx, s, in)
	if err != nil {
		return Outputs{}, fmt.Errorf("onnxrt: %s: %w", m.name, err)
	}
	s.reset(m.plan)
	m.pool.Put(s)
	return out, nil
}

func (m *Model) run(ctx context.Context, s *state, in contract.Pairs) (Outputs, error) {
	p := m.plan
	for i, data := range [][]float32{in.Base, in.Int, in.Target, in.Mask} {
		t := &s.vals[p.inputs[i]]
		t.dtype, t.f, t.i = dtFloat, data, nil
		if i < 2 {
			t.shape = append(t.shape[:0], in.B, in.S, in.N)
		} else {
			t.shape = append(t.shape[:0], in.B, in.N)
		}
	}
	if err := m.runNodes(ctx, s); err != nil {
		return Outputs{}, err
	}
	delta, adj := &s.vals[p.outputs[0]], &s.vals[p.outputs[1]]
	if delta.dtype != dtFloat || !slices.Equal(delta.shape, []int{in.B, in.N}) {
		return Outputs{}, fmt.Errorf("output %s has shape %v, want [%d,%d]", contract.Delta, delta.shape, in.B, in.N)
	}
	if adj.dtype != dtFloat || !slices.Equal(adj.shape, []int{in.B, in.N, in.N}) {
		return Outputs{}, fmt.Errorf("output %s has shape %v, want [%d,%d,%d]", contract.AdjLogits, adj.shape, in.B, in.N, in.N)
	}
	return Outputs{
		Delta:     append([]float32(nil), delta.f...),
		AdjLogits: append([]float32(nil), adj.f...),
	}, nil
}

// runNodes runs the plan's kernels on the inputs already bound in s,
// checking ctx before each node.
func (m *Model) runNodes(ctx context.Context, s *state) error {
	done := ctx.Done() // nil for a context that never ends
	for _, n := range m.plan.nodes {
		if done != nil {
			select {
			case <-done:
				return fmt.Errorf("stopped before node %s: %w", n.name, ctx.Err())
			default:
			}
		}
		if err := n.k.run(s, n); err != nil {
			return fmt.Errorf("node %s (%s): %w", n.name, n.op, err)
		}
		for _, r := range n.release {
			s.release(r)
		}
	}
	return nil
}
