// Package model defines causeway's transformer variants once: their
// configuration, their named parameters and seeded initialisation, and the
// forward computation written against the Builder interface. The training
// rendering (package nn, on gorgonia) and the ONNX rendering (package export)
// both implement Builder, so the two compute the same function by
// construction; parity tests hold them to it numerically.
package model

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Variant names one of the five architectures of the reference notebook.
type Variant string

// The five variants. See Forward for what each computes.
const (
	VariantA Variant = "A" // shared backbone, delta MLP head, bilinear DAG head
	VariantB Variant = "B" // per-node delta experts
	VariantC Variant = "C" // Gumbel-sigmoid straight-through DAG sample in the loss
	VariantD Variant = "D" // structure backbone whose DAG biases the delta attention
	VariantE Variant = "E" // hyper-network delta projection from the intervened node
	// VariantF reads a whole data set (package contract's data-set
	// contract): in-graph statistics, axial attention over the pairs, an
	// edge head and an effect head for any do(X_k = v).
	VariantF Variant = "F"
)

// Variants lists the five variants of the sample-pair contract (the
// notebook's A–E), in order.
var Variants = []Variant{VariantA, VariantB, VariantC, VariantD, VariantE}

// AllVariants lists every variant: A–E, then the data-set variant F.
var AllVariants = []Variant{VariantA, VariantB, VariantC, VariantD, VariantE, VariantF}

// DataSet reports whether v reads a whole data set (the data-set contract)
// rather than one observational and one interventional sample set.
func (v Variant) DataSet() bool { return v == VariantF }

// ParseVariant accepts "A".."E" in either case (and "model-a" style names).
func ParseVariant(s string) (Variant, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	t = strings.TrimPrefix(t, "MODEL-")
	t = strings.TrimPrefix(t, "MODEL")
	for _, v := range AllVariants {
		if t == string(v) {
			return v, nil
		}
	}
	return "", fmt.Errorf("unknown variant %q (want one of A, B, C, D, E, F)", s)
}

// Activation is a feed-forward nonlinearity.
type Activation string

// The supported activations. GELU is the exact (erf) form, as PyTorch's
// nn.GELU() default.
const (
	GELU Activation = "gelu"
	ReLU Activation = "relu"
)

// Config is the full architecture of one model. The zero value is not
// usable; start from DefaultConfig.
type Config struct {
	Variant Variant `json:"variant"`
	// DModel is the token width.
	DModel int `json:"d_model"`
	// Heads is the number of attention heads; DModel must be divisible by it.
	Heads int `json:"heads"`
	// Layers is the number of transformer layers of the backbone (for D: the
	// delta layers).
	Layers int `json:"layers"`
	// StructLayers is the depth of Model D's structure backbone.
	StructLayers int `json:"struct_layers"`
	// FF is the feed-forward width of every transformer layer.
	FF int `json:"ff"`
	// Dropout is the dropout probability used in training (never at inference).
	Dropout float64 `json:"dropout"`
	// Activation is the transformer feed-forward activation (GELU for A–C,
	// ReLU for D–E in the notebook). Heads always use GELU.
	Activation Activation `json:"activation"`
	// MaxNodes bounds N: the position embedding, Model B's experts and Model
	// E's node embedding have MaxNodes rows.
	MaxNodes int `json:"max_nodes"`
	// HyperDim is Model E's intervention-embedding width (16 in the notebook).
	HyperDim int `json:"hyper_dim"`
	// HyperHidden is Model E's hyper-network hidden width (64 in the notebook).
	HyperHidden int `json:"hyper_hidden"`
	// Equivariant drops the label-keyed parts (position embedding; B's
	// per-node experts become one shared expert; E's instruction vector comes
	// from the intervened node's token instead of a label-keyed table), so
	// permuting the input columns permutes the outputs exactly.
	Equivariant bool `json:"equivariant"`
	// MeanShiftSkip adds the mean-shift baseline, mean_S(int_samples) −
	// target_row, to the delta head's output, so the head learns a
	// correction to the baseline instead of the whole shift (off in the
	// notebook's architecture).
	MeanShiftSkip bool `json:"mean_shift_skip,omitempty"`
	// PairStats adds pairwise evidence to the DAG head: learned multiples
	// of the absolute sample correlations of the observational and of the
	// interventional columns (see Builder.PairLogits). The notebook's node
	// tokens carry only marginal statistics, which bound what the DAG head
	// can know about adjacency; off in the notebook's architecture.
	PairStats bool `json:"pair_stats,omitempty"`
	// StdFloor guards the encoder's normalisation: the base std is clamped
	// below at this value before dividing (the notebook's +1e-6 lets
	// features reach 1e7 on near-constant columns).
	StdFloor float64 `json:"std_floor"`
	// FeatureClip clamps every encoder feature to [-FeatureClip, FeatureClip]
	// (Model F: every standardised value and statistic that is clamped).
	FeatureClip float64 `json:"feature_clip"`
	// EffectLayers is the depth of Model F's effect head (pre-LayerNorm
	// attention over the variables of each query, then a feed-forward).
	EffectLayers int `json:"effect_layers,omitempty"`
	// Stats is the version of Model F's data-set statistics (see
	// DataStats): 1 (0 means 1); 2, which adds correlations and partial
	// correlations pooled over every row and takes the matched rows' mean
	// shift unclamped; 3, which adds the joint correlations of every row
	// (intervened values kept) and correlation ratios; or 4, which adds the
	// additive partial dependences (a basis regression of every variable on
	// all the others).
	Stats int `json:"stats,omitempty"`
	// Triangle is the width of Model F's triangle update (0: none): in each
	// axial block, after the column attention, the pair tokens (i, j) add
	// a projection of Σ_k a_ik ⊙ b_kj / N (Builder.PairProduct), so a pair
	// reads every two-step path i → k → j, the evidence that separates a
	// parent from an ancestor.
	Triangle int `json:"triangle,omitempty"`
}

// StatsVersion returns Model F's statistics version (Stats; 0 means 1).
func (c Config) StatsVersion() int { return max(c.Stats, 1) }

// Notebook-fixed constants shared by every rendering.
const (
	// LayerNormEps is PyTorch's LayerNorm default epsilon.
	LayerNormEps = 1e-5
	// StdEps is added to the sample standard deviation, as in the notebook.
	StdEps = 1e-6
	// AttentionBiasScale is Model D's bias scale: (1 - σ(logit)) · (-10).
	AttentionBiasScale = -10
)

// DefaultConfig returns the notebook's architecture for a variant.
func DefaultConfig(v Variant) Config {
	c := Config{
		Variant:      v,
		DModel:       128,
		Heads:        4,
		Layers:       4,
		StructLayers: 2,
		FF:           2048,
		Dropout:      0.1,
		Activation:   GELU,
		MaxNodes:     50,
		HyperDim:     16,
		HyperHidden:  64,
		StdFloor:     1e-2,
		FeatureClip:  50,
	}
	if v == VariantD || v == VariantE {
		c.Activation = ReLU
	}
	if v == VariantF {
		// Axial attention over N² pair tokens: narrower and without
		// dropout, so that it trains on two cores within an hour.
		c.DModel, c.Heads, c.Layers, c.FF = 64, 4, 4, 128
		c.Dropout, c.MaxNodes, c.FeatureClip = 0, 100, 10
		c.Equivariant, c.EffectLayers, c.Stats, c.Triangle = true, 1, LatestStats, 32
	}
	return c
}

// Validate reports the first inconsistency in c.
func (c Config) Validate() error {
	v, err := ParseVariant(string(c.Variant))
	if err != nil {
		return err
	}
	if v != c.Variant {
		return fmt.Errorf("variant %q: write it as %q", c.Variant, v)
	}
	switch {
	case c.DModel < 2:
		return fmt.Errorf("d_model %d: must be at least 2", c.DModel)
	case c.Heads < 1 || c.DModel%c.Heads != 0:
		return fmt.Errorf("heads %d: must divide d_model %d", c.Heads, c.DModel)
	case c.Layers < 1:
		return fmt.Errorf("layers %d: must be at least 1", c.Layers)
	case c.Variant == VariantD && c.StructLayers < 1:
		return fmt.Errorf("struct_layers %d: Model D needs at least 1", c.StructLayers)
	case c.FF < 1:
		return fmt.Errorf("ff %d: must be at least 1", c.FF)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("dropout %g: must be in [0, 1)", c.Dropout)
	case c.Activation != GELU && c.Activation != ReLU:
		return fmt.Errorf("activation %q: want gelu or relu", c.Activation)
	case c.MaxNodes < 2:
		return fmt.Errorf("max_nodes %d: must be at least 2", c.MaxNodes)
	case c.Variant == VariantB && c.DModel < 2:
		return fmt.Errorf("d_model %d: Model B's experts need at least 2", c.DModel)
	case c.Variant == VariantE && (c.HyperDim < 1 || c.HyperHidden < 1):
		return fmt.Errorf("hyper_dim %d / hyper_hidden %d: must be positive", c.HyperDim, c.HyperHidden)
	case c.StdFloor <= 0:
		return fmt.Errorf("std_floor %g: must be positive", c.StdFloor)
	case c.FeatureClip <= 0:
		return fmt.Errorf("feature_clip %g: must be positive", c.FeatureClip)
	case c.Variant == VariantF && !c.Equivariant:
		return fmt.Errorf("model F is permutation-equivariant by construction: equivariant must be true")
	case c.Variant == VariantF && (c.Stats < 0 || c.Stats > LatestStats):
		return fmt.Errorf("stats %d: Model F's statistics versions are 1 to %d", c.Stats, LatestStats)
	case c.Triangle < 0 || (c.Variant != VariantF && c.Triangle != 0):
		return fmt.Errorf("triangle %d: Model F's triangle width is 0 (none) or positive, and belongs to Model F", c.Triangle)
	case c.Variant != VariantF && c.Stats != 0:
		return fmt.Errorf("stats %d: the statistics version belongs to Model F", c.Stats)
	case c.Variant == VariantF && c.EffectLayers < 0:
		return fmt.Errorf("effect_layers %d: must be ≥ 0", c.EffectLayers)
	case c.Variant == VariantF && (c.MeanShiftSkip || c.PairStats):
		return fmt.Errorf("mean_shift_skip and pair_stats belong to variants A–E, not F")
	}
	return nil
}

// JSON returns c as compact JSON (for checkpoint and ONNX metadata).
func (c Config) JSON() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // Config has only plain fields
	}
	return string(b)
}
