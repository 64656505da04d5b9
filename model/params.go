package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// InitKind says how a parameter is initialised (PyTorch's defaults for the
// module it stands for).
type InitKind int

// The initialisers.
const (
	// InitUniformFanIn draws U(-1/√fanIn, 1/√fanIn): nn.Linear's weight
	// (kaiming_uniform with a=√5) and bias.
	InitUniformFanIn InitKind = iota
	// InitXavier draws U(-b, b), b = √(6/(fanIn+fanOut)): the attention
	// input projections (PyTorch initialises the packed [3D, D] matrix, so
	// fanOut is 3D).
	InitXavier
	// InitZeros fills with 0 (attention biases, LayerNorm bias).
	InitZeros
	// InitOnes fills with 1 (LayerNorm weight).
	InitOnes
	// InitNormal draws N(0, 1) (nn.Embedding).
	InitNormal
)

// Spec describes one named parameter.
type Spec struct {
	Name  string
	Shape []int
	Init  InitKind
	// FanIn and FanOut parameterise the uniform initialisers.
	FanIn, FanOut int
}

// Size is the number of elements of the parameter.
func (s Spec) Size() int {
	n := 1
	for _, d := range s.Shape {
		n *= d
	}
	return n
}

// Tensor is a dense row-major float32 array.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Params holds a model's parameters by name.
type Params map[string]*Tensor

// Specs lists every parameter of the architecture c, in a fixed order.
func Specs(c Config) []Spec {
	var s specList
	d := c.DModel
	if c.Variant == VariantF {
		dataSetSpecs(&s, c)
		return s
	}
	s.linear("encoder/feature_proj", 6, d)
	if !c.Equivariant {
		s.add(Spec{Name: "encoder/pos_emb", Shape: []int{c.MaxNodes, d}, Init: InitNormal})
	}
	dag := func() {
		s.linear("dag/parent", d, d)
		s.linear("dag/child", d, d)
	}
	switch c.Variant {
	case VariantA, VariantC:
		s.layers(c, "layer", c.Layers)
		s.linear("delta_head/linear1", d, d)
		s.linear("delta_head/linear2", d, 1)
		dag()
	case VariantB:
		s.layers(c, "layer", c.Layers)
		e, h := c.MaxNodes, d/2
		if c.Equivariant {
			e = 1
		}
		s.add(Spec{Name: "experts/linear1/weight", Shape: []int{e, d, h}, Init: InitUniformFanIn, FanIn: d})
		s.add(Spec{Name: "experts/linear1/bias", Shape: []int{e, h}, Init: InitUniformFanIn, FanIn: d})
		s.add(Spec{Name: "experts/linear2/weight", Shape: []int{e, h}, Init: InitUniformFanIn, FanIn: h})
		s.add(Spec{Name: "experts/linear2/bias", Shape: []int{e}, Init: InitUniformFanIn, FanIn: h})
		dag()
	case VariantD:
		s.layers(c, "struct_layer", c.StructLayers)
		dag()
		s.layers(c, "delta_layer", c.Layers)
		s.linear("delta_head", d, 1)
	case VariantE:
		s.layers(c, "layer", c.Layers)
		if c.Equivariant {
			s.linear("hyper/instr_proj", d, c.HyperDim)
		} else {
			s.add(Spec{Name: "hyper/int_embedding", Shape: []int{c.MaxNodes, c.HyperDim}, Init: InitNormal})
		}
		s.linear("hyper/linear1", c.HyperDim, c.HyperHidden)
		s.linear("hyper/linear2", c.HyperHidden, d)
		dag()
	}
	if c.PairStats {
		// Last, so the option does not change the other parameters' streams.
		s.add(Spec{Name: "dag/pair/weight", Shape: []int{2}, Init: InitZeros})
	}
	return s
}

type specList []Spec

func (s *specList) add(sp Spec) { *s = append(*s, sp) }

// linear adds name/weight [in,out] and name/bias [out] (x·W + b).
func (s *specList) linear(name string, in, out int) {
	s.add(Spec{Name: name + "/weight", Shape: []int{in, out}, Init: InitUniformFanIn, FanIn: in})
	s.add(Spec{Name: name + "/bias", Shape: []int{out}, Init: InitUniformFanIn, FanIn: in})
}

// attention adds a multi-head attention's projections name/{q,k,v,out}_proj
// (PyTorch's MultiheadAttention initialisation).
func (s *specList) attention(name string, d int) {
	for _, proj := range []string{"q_proj", "k_proj", "v_proj"} {
		s.add(Spec{Name: name + "/" + proj + "/weight", Shape: []int{d, d}, Init: InitXavier, FanIn: d, FanOut: 3 * d})
		s.add(Spec{Name: name + "/" + proj + "/bias", Shape: []int{d}, Init: InitZeros})
	}
	s.add(Spec{Name: name + "/out_proj/weight", Shape: []int{d, d}, Init: InitUniformFanIn, FanIn: d})
	s.add(Spec{Name: name + "/out_proj/bias", Shape: []int{d}, Init: InitZeros})
}

// norm adds a LayerNorm's name/weight (ones) and name/bias (zeros).
func (s *specList) norm(name string, d int) {
	s.add(Spec{Name: name + "/weight", Shape: []int{d}, Init: InitOnes})
	s.add(Spec{Name: name + "/bias", Shape: []int{d}, Init: InitZeros})
}

// layers adds count transformer encoder layers named prefix0, prefix1, ...
func (s *specList) layers(c Config, prefix string, count int) {
	d := c.DModel
	for i := 0; i < count; i++ {
		p := fmt.Sprintf("%s%d", prefix, i)
		s.attention(p+"/attn", d)
		s.norm(p+"/norm1", d)
		s.linear(p+"/ff/linear1", d, c.FF)
		s.linear(p+"/ff/linear2", c.FF, d)
		s.norm(p+"/norm2", d)
	}
}

// Init returns freshly initialised parameters for c, fully determined by seed.
// Each parameter draws from its own stream (seed, index in Specs), so adding a
// parameter does not change the others' values.
func Init(c Config, seed uint64) (Params, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p := make(Params)
	for i, sp := range Specs(c) {
		rng := rand.New(rand.NewPCG(seed, uint64(i)+1))
		t := &Tensor{Shape: append([]int(nil), sp.Shape...), Data: make([]float32, sp.Size())}
		switch sp.Init {
		case InitUniformFanIn:
			b := 1 / math.Sqrt(float64(sp.FanIn))
			for j := range t.Data {
				t.Data[j] = float32((2*rng.Float64() - 1) * b)
			}
		case InitXavier:
			b := math.Sqrt(6 / float64(sp.FanIn+sp.FanOut))
			for j := range t.Data {
				t.Data[j] = float32((2*rng.Float64() - 1) * b)
			}
		case InitOnes:
			for j := range t.Data {
				t.Data[j] = 1
			}
		case InitNormal:
			for j := range t.Data {
				t.Data[j] = float32(rng.NormFloat64())
			}
		case InitZeros:
		}
		p[sp.Name] = t
	}
	return p, nil
}

// Check reports whether p holds exactly the parameters of c with the right
// shapes and finite values.
func (p Params) Check(c Config) error {
	specs := Specs(c)
	if len(p) != len(specs) {
		return fmt.Errorf("parameter count %d, architecture %s wants %d", len(p), c.Variant, len(specs))
	}
	for _, sp := range specs {
		t, ok := p[sp.Name]
		if !ok {
			return fmt.Errorf("parameter %s missing", sp.Name)
		}
		if fmt.Sprint(t.Shape) != fmt.Sprint(sp.Shape) {
			return fmt.Errorf("parameter %s has shape %v, architecture wants %v", sp.Name, t.Shape, sp.Shape)
		}
		if len(t.Data) != sp.Size() {
			return fmt.Errorf("parameter %s has %d values, shape %v wants %d", sp.Name, len(t.Data), sp.Shape, sp.Size())
		}
		for _, v := range t.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("parameter %s holds a non-finite value", sp.Name)
			}
		}
	}
	return nil
}

// Names returns the parameter names in sorted order.
func (p Params) Names() []string {
	names := make([]string, 0, len(p))
	for n := range p {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Count returns the total number of scalars in p.
func (p Params) Count() int {
	n := 0
	for _, t := range p {
		n += len(t.Data)
	}
	return n
}
