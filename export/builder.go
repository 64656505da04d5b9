package export

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"

	"causeway/contract"

	"github.com/advancedclimatesystems/gonnx/onnx"

	"causeway/model"
)

// Ops returns, sorted, every ONNX operator type (default domain, opset 13)
// that an exported graph may contain:
//
//	Add Cast Clip Concat Div Erf Log MatMul Mul ReduceMean Relu Reshape
//	Shape Sigmoid Slice Softmax Sqrt Squeeze Sub Transpose Unsqueeze
//
// How the model maps onto them:
//   - LayerNorm: ReduceMean (axes attribute, keepdims 1), Sub, Mul, Add,
//     Sqrt, Div; GELU: Div, Erf, Add, Mul (exact erf form); ReLU: Relu.
//   - Encoder features: ReduceMean over the samples, the unbiased variance
//     from Shape, Slice and Cast (S/(S−1)), Sqrt, Clip (the std floor and the
//     feature clamp, with scalar min and max inputs), Concat and Transpose.
//   - Dynamic N: Shape(base_samples) and Slice give N as a 1-element int64
//     tensor, which the Slices of the position embedding, Model B's expert
//     tables, Model E's node embedding and the diagonal mask use as ends.
//   - Attention: MatMul, Reshape (shape [0, 0, heads, D/heads], 0 = copy),
//     Transpose, Mul (scale), Softmax (axis −1), Unsqueeze for Model D's bias.
//   - Heads: MatMul, Add, Squeeze (axes input), Sigmoid (Model D's bias).
//   - Model F: its statistics are MatMul sums over the rows, Relu and Clip
//     for indicators and floors, Log for the count and scale features, an
//     unrolled Newton–Schulz inverse (MatMul, Sub); pair tensors move
//     between [B·N,N,K] and [B,N,N,K] with Reshape (shapes Concat-ed from
//     Shape and Slice) and Transpose.
//
// Attributes used: ReduceMean axes/keepdims, Transpose perm, Softmax axis,
// Concat axis and Cast to (FLOAT). Squeeze, Unsqueeze, Slice and Reshape take
// their axes, starts, ends and shapes as int64 initializer inputs, as opset
// 13 requires. No attribute has the value 0 (proto3 would not encode it).
// Constants are initializers named const/...: rank-0 float32 scalars and
// 1-D int64 vectors; the eye initializer const/eye is [MaxNodes, MaxNodes].
//
// gonnx v1.1.0, the base of the pure-Go executor, lacks Clip, Erf,
// ReduceMean and Sqrt; the executor must register those four.
func Ops() []string {
	return []string{
		"Add", "Cast", "Clip", "Concat", "Div", "Erf", "Log", "MatMul", "Mul", "ReduceMean", "Relu",
		"Reshape", "Shape", "Sigmoid", "Slice", "Softmax", "Sqrt", "Squeeze", "Sub", "Transpose", "Unsqueeze",
	}
}

// graph implements model.Builder[string]: every method appends NodeProtos
// (and the initializers they need) to a GraphProto and returns the name of
// the value it computed. On a misuse it panics with a *model.BuildError
// (model.Failf), as every model.Builder does; Build returns it as an error
// (graph.forward, model.RecoverBuild).
type graph struct {
	cfg    model.Config
	params model.Params
	g      *onnx.GraphProto

	names  map[string]bool // node and value names in use
	inits  map[string]bool // initializers added
	cached map[string]string
	base   string // the base_samples input, source of the dynamic sizes

	ds *dsStats // Model F's data-set statistics, once built
	dq *dsQuery // Model F's query statistics, once built
}

var _ model.Builder[string] = (*graph)(nil)

func newGraph(cfg model.Config, p model.Params, name string) *graph {
	return &graph{
		cfg:    cfg,
		params: p,
		g:      &onnx.GraphProto{Name: name},
		names:  map[string]bool{},
		inits:  map[string]bool{},
		cached: map[string]string{},
		base:   contract.BaseSamples,
	}
}

// forward renders the architecture of b.cfg on b and returns the names of
// its two outputs; a misuse of the builder is its error (model.RecoverBuild).
func (b *graph) forward() (first, second string, err error) {
	defer model.RecoverBuild(&err)
	if b.cfg.Variant.DataSet() {
		first, second = model.ForwardDataSet[string](b, b.cfg, contract.Samples, contract.Intervened, contract.QueryMask, contract.QueryValue)
	} else {
		first, second = model.Forward[string](b, b.cfg, contract.BaseSamples, contract.IntSamples, contract.TargetRow, contract.IntMask)
	}
	return first, second, nil
}

// attr is a node attribute.
type attr = *onnx.AttributeProto

// attrInt returns an INT attribute. The value must not be 0: proto3 does not
// encode zero scalars, so readers would see an attribute without a value.
func attrInt(name string, v int64) attr {
	if v == 0 {
		model.Failf("INT attribute %s = 0 would be dropped by proto3 encoding", name)
	}
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INT, I: v}
}

func attrInts(name string, v ...int64) attr {
	return &onnx.AttributeProto{Name: name, Type: onnx.AttributeProto_INTS, Ints: v}
}

// node appends one node named scope/label (made unique) with a single
// output of the same name, and returns that name.
func (b *graph) node(scope, label, op string, inputs []string, attrs ...attr) string {
	name := label
	if scope != "" {
		name = scope + "/" + label
	}
	if b.names[name] {
		for i := 1; ; i++ {
			if c := fmt.Sprintf("%s_%d", name, i); !b.names[c] {
				name = c
				break
			}
		}
	}
	b.names[name] = true
	b.g.Node = append(b.g.Node, &onnx.NodeProto{
		Name:      name,
		OpType:    op,
		Input:     inputs,
		Output:    []string{name},
		Attribute: attrs,
	})
	return name
}

// rename gives the value old the name new, everywhere.
func (b *graph) rename(old, new string) {
	for _, n := range b.g.Node {
		for i, v := range n.Input {
			if v == old {
				n.Input[i] = new
			}
		}
		for i, v := range n.Output {
			if v == old {
				n.Output[i] = new
			}
		}
	}
}

// floatTensor returns a FLOAT TensorProto with raw little-endian data.
func floatTensor(name string, dims []int64, v []float32) *onnx.TensorProto {
	raw := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(x))
	}
	return &onnx.TensorProto{Name: name, Dims: dims, DataType: int32(onnx.TensorProto_FLOAT), RawData: raw}
}

// int64Tensor returns an INT64 TensorProto with raw little-endian data.
func int64Tensor(name string, dims []int64, v []int64) *onnx.TensorProto {
	raw := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(raw[8*i:], uint64(x))
	}
	return &onnx.TensorProto{Name: name, Dims: dims, DataType: int32(onnx.TensorProto_INT64), RawData: raw}
}

func (b *graph) addInit(t *onnx.TensorProto) string {
	if !b.inits[t.Name] {
		if b.names[t.Name] {
			model.Failf("initializer name %s clashes with a node", t.Name)
		}
		b.inits[t.Name] = true
		b.names[t.Name] = true
		b.g.Initializer = append(b.g.Initializer, t)
	}
	return t.Name
}

// param adds the model parameter name as an initializer of the same name
// and returns it.
func (b *graph) param(name string) string {
	if b.inits[name] {
		return name
	}
	t, ok := b.params[name]
	if !ok {
		model.Failf("parameter %s missing", name)
	}
	dims := make([]int64, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = int64(d)
	}
	return b.addInit(floatTensor(name, dims, t.Data))
}

func (b *graph) paramShape(name string) []int {
	t, ok := b.params[name]
	if !ok {
		model.Failf("parameter %s missing", name)
	}
	return t.Shape
}

// scalar returns a rank-0 FLOAT constant named const/label.
func (b *graph) scalar(label string, v float32) string {
	return b.addInit(floatTensor("const/"+label, nil, []float32{v}))
}

// ints returns a 1-D INT64 constant named const/label.
func (b *graph) ints(label string, v ...int64) string {
	return b.addInit(int64Tensor("const/"+label, []int64{int64(len(v))}, v))
}

// intsName names an int64 constant after its values: "axes_1", "shape_0_0_4_8".
func intsName(prefix string, v ...int64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
		if x < 0 {
			s[i] = "m" + fmt.Sprint(-x)
		}
	}
	return prefix + "_" + strings.Join(s, "_")
}

func (b *graph) axes(v ...int64) string { return b.ints(intsName("axes", v...), v...) }

// once returns the cached value key, creating it with f the first time.
func (b *graph) once(key string, f func() string) string {
	if v, ok := b.cached[key]; ok {
		return v
	}
	v := f()
	b.cached[key] = v
	return v
}

// dimN returns N, the node count, as a 1-element int64 tensor.
func (b *graph) dimN() string {
	return b.once("N", func() string {
		shape := b.once("shape", func() string { return b.node("dims", "base_shape", "Shape", []string{b.base}) })
		return b.node("dims", "N", "Slice", []string{shape, b.ints("starts_2", 2), b.ints("ends_3", 3)})
	})
}

// sliceRows returns rows 0..N−1 of the initializer name, as name_rows.
func (b *graph) sliceRows(name string) string {
	label := name[strings.LastIndexByte(name, '/')+1:] + "_rows"
	return b.node(scope(name), label, "Slice", []string{name, b.ints("zero", 0), b.dimN(), b.axes(0)})
}

// eye returns the identity [N,N], its complement 1 − I and DiagLogit·I.
func (b *graph) eye() (eyeN, offDiag, diag string) {
	eyeN = b.once("eye", func() string {
		m := b.cfg.MaxNodes
		v := make([]float32, m*m)
		for i := 0; i < m; i++ {
			v[i*m+i] = 1
		}
		full := b.addInit(floatTensor("const/eye", []int64{int64(m), int64(m)}, v))
		nn := b.node("dims", "N_N", "Concat", []string{b.dimN(), b.dimN()}, attrInt("axis", -1))
		return b.node("diagonal", "eye", "Slice", []string{full, b.ints("zeros_2", 0, 0), nn, b.ints("axes_0_1", 0, 1)})
	})
	offDiag = b.once("offdiag", func() string {
		return b.node("diagonal", "off_diagonal", "Sub", []string{b.scalar("one", 1), eyeN})
	})
	diag = b.once("diag", func() string {
		return b.node("diagonal", "diag_logits", "Mul", []string{eyeN, b.scalar("diag_logit", contract.DiagLogit)})
	})
	return eyeN, offDiag, diag
}

// scope returns the name of x without its last segment: the module that
// produced it.
func scope(x string) string {
	if i := strings.LastIndexByte(x, '/'); i > 0 {
		return x[:i]
	}
	return x
}

// samples returns S and S−1 as float scalars [1], from the dynamic sample count.
func (b *graph) samples() (fS, sm1 string) {
	fS = b.once("S_float", func() string {
		shape := b.once("shape", func() string { return b.node("dims", "base_shape", "Shape", []string{b.base}) })
		nS := b.node("dims", "S", "Slice", []string{shape, b.ints("starts_1", 1), b.ints("ends_2", 2)})
		return b.node("dims", "S_float", "Cast", []string{nS}, attrInt("to", int64(onnx.TensorProto_FLOAT)))
	})
	sm1 = b.once("S_minus_1", func() string {
		return b.node("dims", "S_minus_1", "Sub", []string{fS, b.scalar("one", 1)})
	})
	return fS, sm1
}

// bessel returns S/(S−1), which turns a biased variance into the unbiased one.
func (b *graph) bessel() string {
	return b.once("bessel", func() string {
		fS, sm1 := b.samples()
		return b.node("encoder/features", "bessel", "Div", []string{fS, sm1})
	})
}

// Features implements model.Builder.
func (b *graph) Features(base, intv, target, mask string) string {
	const s = "encoder/features"
	c := b.cfg
	bessel := b.bessel()

	// stats returns the mean and the unbiased std + StdEps over axis 1, both [B,1,N].
	stats := func(x, label string) (mean, std string) {
		mean = b.node(s, label+"_mean", "ReduceMean", []string{x}, attrInts("axes", 1), attrInt("keepdims", 1))
		dev := b.node(s, label+"_dev", "Sub", []string{x, mean})
		sq := b.node(s, label+"_dev_sq", "Mul", []string{dev, dev})
		v := b.node(s, label+"_var_biased", "ReduceMean", []string{sq}, attrInts("axes", 1), attrInt("keepdims", 1))
		v = b.node(s, label+"_var", "Mul", []string{v, bessel})
		sd := b.node(s, label+"_sqrt_var", "Sqrt", []string{v})
		std = b.node(s, label+"_std", "Add", []string{sd, b.scalar("std_eps", model.StdEps)})
		return mean, std
	}
	bMean, bStd := stats(base, "base")
	iMean, iStd := stats(intv, "int")
	den := b.node(s, "den", "Clip", []string{bStd, b.scalar("std_floor", float32(c.StdFloor)), b.scalar("float_max", math.MaxFloat32)})
	ax1 := b.axes(1)
	tgt := b.node(s, "target", "Unsqueeze", []string{target, ax1})
	msk := b.node(s, "mask", "Unsqueeze", []string{mask, ax1})
	shift := b.node(s, "shift", "Div", []string{b.node(s, "int_minus_base", "Sub", []string{iMean, bMean}), den})
	ratio := b.node(s, "std_ratio", "Div", []string{iStd, den})
	z := b.node(s, "target_z", "Div", []string{b.node(s, "target_minus_base", "Sub", []string{tgt, bMean}), den})
	f := b.node(s, "stack", "Concat", []string{bMean, bStd, shift, ratio, z, msk}, attrInt("axis", 1)) // [B,6,N]
	f = b.node(s, "transpose", "Transpose", []string{f}, attrInts("perm", 0, 2, 1))                    // [B,N,6]
	return b.node(s, "clip", "Clip", []string{f,
		b.scalar("neg_feature_clip", float32(-c.FeatureClip)), b.scalar("feature_clip", float32(c.FeatureClip))})
}

// PairLogits implements model.Builder: per input, the columns are
// standardised (unbiased std clamped below at StdFloor), their Gram matrix
// over S divided by S−1 is the correlation, and |R| = √(R·R).
func (b *graph) PairLogits(base, intv, name string) string {
	c := b.cfg
	_, sm1 := b.samples()
	bessel := b.bessel()
	w := b.param(name + "/weight")
	var sum string
	for k, x := range []string{base, intv} {
		l := []string{"base", "int"}[k]
		mean := b.node(name, l+"_mean", "ReduceMean", []string{x}, attrInts("axes", 1), attrInt("keepdims", 1))
		dev := b.node(name, l+"_dev", "Sub", []string{x, mean})
		v := b.node(name, l+"_var_biased", "ReduceMean", []string{b.node(name, l+"_dev_sq", "Mul", []string{dev, dev})}, attrInts("axes", 1), attrInt("keepdims", 1))
		sd := b.node(name, l+"_std", "Sqrt", []string{b.node(name, l+"_var", "Mul", []string{v, bessel})})
		den := b.node(name, l+"_den", "Clip", []string{sd, b.scalar("std_floor", float32(c.StdFloor)), b.scalar("float_max", math.MaxFloat32)})
		z := b.node(name, l+"_z", "Div", []string{dev, den})                                                   // [B,S,N]
		zt := b.node(name, l+"_z_transpose", "Transpose", []string{z}, attrInts("perm", 0, 2, 1))              // [B,N,S]
		r := b.node(name, l+"_corr", "Div", []string{b.node(name, l+"_gram", "MatMul", []string{zt, z}), sm1}) // [B,N,N]
		abs := b.node(name, l+"_abs_corr", "Sqrt", []string{b.node(name, l+"_corr_sq", "Mul", []string{r, r})})
		wk := b.node(name, l+"_weight", "Slice", []string{w, b.ints(fmt.Sprintf("starts_%d", k), int64(k)), b.ints(fmt.Sprintf("ends_%d", k+1), int64(k+1))})
		term := b.node(name, l+"_term", "Mul", []string{abs, wk})
		if sum == "" {
			sum = term
		} else {
			sum = b.node(name, "sum", "Add", []string{sum, term})
		}
	}
	_, off, _ := b.eye()
	return b.node(name, "off_diagonal", "Mul", []string{sum, off})
}

// MeanShift implements model.Builder.
func (b *graph) MeanShift(intv, target string) string {
	const s = "delta/mean_shift"
	m := b.node(s, "int_mean", "ReduceMean", []string{intv}, attrInts("axes", 1), attrInt("keepdims", 1))
	m = b.node(s, "squeeze", "Squeeze", []string{m, b.axes(1)})
	return b.node(s, "minus_target", "Sub", []string{m, target})
}

// Linear implements model.Builder.
func (b *graph) Linear(x, name string) string {
	y := b.node(name, "MatMul", "MatMul", []string{x, b.param(name + "/weight")})
	return b.node(name, "Add", "Add", []string{y, b.param(name + "/bias")})
}

// AddPositions implements model.Builder.
func (b *graph) AddPositions(x, name string) string {
	return b.node(name, "Add", "Add", []string{x, b.sliceRows(b.param(name))})
}

// Activate implements model.Builder.
func (b *graph) Activate(x string, act model.Activation) string {
	s := scope(x)
	switch act {
	case model.GELU:
		return b.gelu(s+"/gelu", x)
	case model.ReLU:
		return b.node(s, "relu", "Relu", []string{x})
	}
	model.Failf("unknown activation %q", act)
	return x
}

// gelu is 0.5·x·(1 + erf(x/√2)).
func (b *graph) gelu(s, x string) string {
	e := b.node(s, "Erf", "Erf", []string{b.node(s, "Div", "Div", []string{x, b.scalar("sqrt2", math.Sqrt2)})})
	e = b.node(s, "Add", "Add", []string{e, b.scalar("one", 1)})
	e = b.node(s, "Mul", "Mul", []string{x, e})
	return b.node(s, "Mul", "Mul", []string{e, b.scalar("half", 0.5)})
}

// LayerNorm implements model.Builder.
func (b *graph) LayerNorm(x, name string) string {
	mean := b.node(name, "mean", "ReduceMean", []string{x}, attrInts("axes", -1), attrInt("keepdims", 1))
	dev := b.node(name, "dev", "Sub", []string{x, mean})
	v := b.node(name, "var", "ReduceMean", []string{b.node(name, "dev_sq", "Mul", []string{dev, dev})},
		attrInts("axes", -1), attrInt("keepdims", 1))
	sd := b.node(name, "std", "Sqrt", []string{b.node(name, "var_eps", "Add", []string{v, b.scalar("ln_eps", model.LayerNormEps)})})
	y := b.node(name, "normalized", "Div", []string{dev, sd})
	y = b.node(name, "scale", "Mul", []string{y, b.param(name + "/weight")})
	return b.node(name, "shift", "Add", []string{y, b.param(name + "/bias")})
}

// Attention implements model.Builder.
func (b *graph) Attention(x, name string, heads int, bias string, hasBias bool) string {
	wShape := b.paramShape(name + "/q_proj/weight")
	if len(wShape) != 2 || heads < 1 || wShape[1]%heads != 0 {
		model.Failf("attention %s: weight %v does not split into %d heads", name, wShape, heads)
	}
	d := int64(wShape[1])
	h := int64(heads)
	split := b.ints(intsName("shape", 0, 0, h, d/h), 0, 0, h, d/h)
	proj := func(p string, perm ...int64) string {
		y := b.Linear(x, name+"/"+p)
		y = b.node(name, p+"_heads", "Reshape", []string{y, split})
		return b.node(name, p+"_transpose", "Transpose", []string{y}, attrInts("perm", perm...))
	}
	q := proj("q_proj", 0, 2, 1, 3) // [B,H,N,dh]
	k := proj("k_proj", 0, 2, 3, 1) // [B,H,dh,N]
	v := proj("v_proj", 0, 2, 1, 3) // [B,H,N,dh]
	scale := 1 / math.Sqrt(float64(d/h))
	sc := b.node(name, "scores", "MatMul", []string{q, k})
	sc = b.node(name, "scaled_scores", "Mul", []string{sc, b.scalar(fmt.Sprintf("attn_scale_%d", d/h), float32(scale))})
	if hasBias {
		bb := b.once("bias4:"+bias, func() string {
			return b.node(scope(bias), "per_head", "Unsqueeze", []string{bias, b.axes(1)})
		})
		sc = b.node(name, "biased_scores", "Add", []string{sc, bb})
	}
	w := b.node(name, "softmax", "Softmax", []string{sc}, attrInt("axis", -1))
	ctx := b.node(name, "context", "MatMul", []string{w, v}) // [B,H,N,dh]
	ctx = b.node(name, "context_transpose", "Transpose", []string{ctx}, attrInts("perm", 0, 2, 1, 3))
	ctx = b.node(name, "concat_heads", "Reshape", []string{ctx, b.ints(intsName("shape", 0, 0, d), 0, 0, d)})
	return b.Linear(ctx, name+"/out_proj")
}

// Dropout implements model.Builder: the identity at inference.
func (b *graph) Dropout(x string, p float64) string { return x }

// Add implements model.Builder.
func (b *graph) Add(x, y string) string {
	return b.node(scope(y), "residual", "Add", []string{x, y})
}

// Bilinear implements model.Builder.
func (b *graph) Bilinear(p, c string) string {
	const s = "dag/bilinear"
	ct := b.node(s, "child_transpose", "Transpose", []string{c}, attrInts("perm", 0, 2, 1))
	y := b.node(s, "MatMul", "MatMul", []string{p, ct})
	_, off, diag := b.eye()
	y = b.node(s, "off_diagonal", "Mul", []string{y, off})
	return b.node(s, "diagonal", "Add", []string{y, diag})
}

// StructureBias implements model.Builder.
func (b *graph) StructureBias(logits string) string {
	const s = "structure_bias"
	t := b.node(s, "transpose", "Transpose", []string{logits}, attrInts("perm", 0, 2, 1))
	y := b.node(s, "no_edge", "Sub", []string{b.scalar("one", 1), b.node(s, "sigmoid", "Sigmoid", []string{t})})
	y = b.node(s, "scale", "Mul", []string{y, b.scalar("attention_bias_scale", model.AttentionBiasScale)})
	_, off, _ := b.eye()
	return b.node(s, "off_diagonal", "Mul", []string{y, off})
}

// Squeeze implements model.Builder.
func (b *graph) Squeeze(x string) string {
	return b.node(scope(x), "squeeze", "Squeeze", []string{x, b.axes(-1)})
}

// NodeExperts implements model.Builder. With E = MaxNodes experts the tables
// are sliced to the first N, and node n meets expert n by broadcasting over
// the node axis; with one shared expert the same broadcasting applies it to
// every node.
func (b *graph) NodeExperts(x, name string) string {
	w1, b1 := b.param(name+"/linear1/weight"), b.param(name+"/linear1/bias")
	w2, b2 := b.param(name+"/linear2/weight"), b.param(name+"/linear2/bias")
	if shape := b.paramShape(name + "/linear1/weight"); len(shape) == 3 && shape[0] > 1 {
		w1, b1, w2, b2 = b.sliceRows(w1), b.sliceRows(b1), b.sliceRows(w2), b.sliceRows(b2)
	}
	l1, l2 := name+"/linear1", name+"/linear2"
	// [B,N,1,D]·[E,D,H] → [B,N,1,H]: the batched MatMul pairs node n with expert n.
	xs := b.node(name, "tokens", "Unsqueeze", []string{x, b.axes(2)})
	h := b.node(l1, "MatMul", "MatMul", []string{xs, w1})
	b1 = b.node(l1, "bias_per_token", "Unsqueeze", []string{b1, b.axes(1)}) // [E,1,H]
	h = b.gelu(name+"/gelu", b.node(l1, "Add", "Add", []string{h, b1}))
	// [B,N,1,H]·[E,H,1] → [B,N,1,1] → [B,N], plus b2 [E].
	w2 = b.node(l2, "weight_column", "Unsqueeze", []string{w2, b.axes(-1)})
	y := b.node(l2, "MatMul", "MatMul", []string{h, w2})
	y = b.node(name, "squeeze", "Squeeze", []string{y, b.ints("axes_2_3", 2, 3)})
	return b.node(l2, "Add", "Add", []string{y, b2})
}

// MaskedSum implements model.Builder.
func (b *graph) MaskedSum(x, mask string) string {
	const s = "masked_sum"
	m := b.node(s, "mask_row", "Unsqueeze", []string{mask, b.axes(1)}) // [B,1,N]
	y := b.node(s, "MatMul", "MatMul", []string{m, x})                 // [B,1,K]
	return b.node(s, "squeeze", "Squeeze", []string{y, b.axes(1)})
}

// MaskedRows implements model.Builder.
func (b *graph) MaskedRows(mask, name string) string {
	return b.node(name, "MatMul", "MatMul", []string{mask, b.sliceRows(b.param(name))}) // [B,N]·[N,K]
}

// RowDot implements model.Builder.
func (b *graph) RowDot(x, w string) string {
	const s = "row_dot"
	wc := b.node(s, "weight_column", "Unsqueeze", []string{w, b.axes(-1)}) // [B,D,1]
	y := b.node(s, "MatMul", "MatMul", []string{x, wc})                    // [B,N,1]
	return b.node(s, "squeeze", "Squeeze", []string{y, b.axes(-1)})
}

// OpTypes returns the sorted distinct operator types of m's graph.
func OpTypes(m *onnx.ModelProto) []string { return opTypes(m.GetGraph()) }

// opTypes returns the sorted distinct op types of g.
func opTypes(g *onnx.GraphProto) []string {
	seen := map[string]bool{}
	for _, n := range g.GetNode() {
		seen[n.OpType] = true
	}
	out := make([]string, 0, len(seen))
	for op := range seen {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}
