// Package train trains causeway's model variants: it draws batches from an
// scm.Stream, runs forward and backward on the gorgonia graphs of package
// nn, applies Adam with decoupled weight decay, validates on a fixed
// held-out set, and writes checkpoints, JSON-lines logs and a summary.
package train

import (
	"errors"
	"fmt"
	"math"

	"causeway/model"
	"causeway/nn"
	"causeway/scm"
)

// Config is one training run. It is stored in every checkpoint, so a
// resumed run continues with exactly the same settings.
type Config struct {
	Model model.Config `json:"model"`
	// SCM is the prior the batches are drawn from (its Nodes is unused:
	// MinNodes..MaxNodes give N per batch).
	SCM scm.Config `json:"scm"`
	// Steps is the total number of optimiser steps.
	Steps int `json:"steps"`
	// Batch is the number of episodes per step.
	Batch int `json:"batch"`
	// MinNodes and MaxNodes bound N, drawn per batch (the notebook's 20–50).
	MinNodes int `json:"min_nodes"`
	MaxNodes int `json:"max_nodes"`
	// NodeExponent (Model F) draws N with probability ∝ N^−NodeExponent
	// instead of uniformly (0), so small, cheap data sets come more often
	// and a minute of training takes more steps (scm.RegimeStreamConfig).
	NodeExponent float64 `json:"node_exponent,omitempty"`
	// LR is the peak learning rate, reached after Warmup steps, then
	// decayed by a cosine to LR·MinLRFactor at Steps.
	LR          float64 `json:"lr"`
	Warmup      int     `json:"warmup"`
	MinLRFactor float64 `json:"min_lr_factor"`
	// WeightDecay is AdamW's decoupled weight decay.
	WeightDecay float64 `json:"weight_decay"`
	// ClipNorm bounds the global gradient norm (0 disables clipping).
	ClipNorm float64 `json:"clip_norm"`
	// Loss weighs the four loss terms.
	Loss nn.LossWeights `json:"loss"`
	// TauStart and TauEnd anneal Model C's Gumbel temperature.
	TauStart float64 `json:"tau_start"`
	TauEnd   float64 `json:"tau_end"`
	// Seed fixes the initial weights, every batch, every dropout mask and
	// every Gumbel draw.
	Seed uint64 `json:"seed"`
	// ValEvery, ValGraphs, ValNodes and ValSeed define validation: every
	// ValEvery steps the model is scored on ValGraphs held-out graphs of
	// ValNodes nodes drawn with ValSeed (a stream never used for training).
	ValEvery  int    `json:"val_every"`
	ValGraphs int    `json:"val_graphs"`
	ValNodes  int    `json:"val_nodes"`
	ValSeed   uint64 `json:"val_seed"`
	// LogEvery is how often a training line goes to log.jsonl.
	LogEvery int `json:"log_every"`
	// CkptEvery is how often a checkpoint is written (it is also written at
	// the end and on interruption).
	CkptEvery int `json:"ckpt_every"`
	// Workers is the number of data-generation goroutines (0: one per
	// core). It changes speed only, never the batches.
	Workers int `json:"workers"`
	// Regimes is the data-set prior of Model F's batches (unused by A–E;
	// Model F validates on SCM's prior with ValNodes nodes).
	Regimes scm.RegimePrior `json:"regimes,omitzero"`
	// DataSetLoss weighs Model F's loss terms (Loss is A–E's).
	DataSetLoss nn.DataSetWeights `json:"dataset_loss,omitzero"`
	// Init is the checkpoint a run was warm-started from (see WarmStart),
	// recorded for provenance; empty for a run from fresh weights.
	Init string `json:"init,omitempty"`
	// InitStep is that checkpoint's step.
	InitStep int `json:"init_step,omitempty"`
}

// DefaultConfig returns the notebook's training recipe for a variant:
// 3000 steps of batch 32 over N in 20–50, lr 1e-4, AdamW's weight decay
// 0.01, loss weights 10/1/0.1/0.01, validation every 100 steps on 64
// held-out graphs of 20 nodes.
func DefaultConfig(v model.Variant) Config {
	c := Config{
		Model:       model.DefaultConfig(v),
		SCM:         scm.DefaultConfig(),
		Steps:       3000,
		Batch:       32,
		MinNodes:    20,
		MaxNodes:    50,
		LR:          1e-4,
		Warmup:      100,
		MinLRFactor: 0.1,
		WeightDecay: 0.01,
		ClipNorm:    1,
		Loss:        nn.DefaultLossWeights(),
		TauStart:    1,
		TauEnd:      0.1,
		Seed:        1,
		ValEvery:    100,
		ValGraphs:   64,
		ValNodes:    20,
		ValSeed:     12345,
		LogEvery:    10,
		CkptEvery:   500,
	}
	if v.DataSet() {
		// Model F: whole data sets of 5–50 variables, 8 per step, N drawn
		// with probability ∝ N^−1.5 (a step at N = 50 costs about seven at
		// N = 20, so the uniform draw spent most of the time on the largest
		// graphs), a faster schedule (pre-LayerNorm blocks tolerate it) and
		// a smaller validation set of complete data sets. 22,000 steps take
		// about 56 minutes on 2 cores (models/runs/model-f-60min).
		c.Regimes = scm.DefaultRegimePrior()
		c.DataSetLoss = nn.DefaultDataSetWeights()
		c.Steps, c.Batch, c.MinNodes, c.MaxNodes, c.NodeExponent = 22000, 8, 5, 50, 1.5
		c.LR, c.Warmup, c.MinLRFactor = 5e-4, 500, 0.05
		c.ValEvery, c.ValGraphs, c.CkptEvery = 500, 32, 250
	}
	return c
}

// Validate reports every inconsistency in c.
func (c Config) Validate() error {
	var errs []error
	if err := c.Model.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("model: %w", err))
	}
	scmc := c.SCM
	scmc.Nodes = max(c.MinNodes, 2)
	if err := scmc.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("scm: %w", err))
	}
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(c.Steps >= 1, "steps %d: must be at least 1", c.Steps)
	check(c.Batch >= 1, "batch %d: must be at least 1", c.Batch)
	check(c.NodeExponent >= 0 && !math.IsInf(c.NodeExponent, 0), "node exponent %g: must be finite and ≥ 0", c.NodeExponent)
	check(c.NodeExponent == 0 || c.Model.Variant.DataSet(), "node exponent %g: only Model F's data-set stream draws N by a law", c.NodeExponent)
	check(c.MinNodes >= 2 && c.MaxNodes >= c.MinNodes, "nodes %d-%d: want 2 ≤ min ≤ max", c.MinNodes, c.MaxNodes)
	check(c.MaxNodes <= c.Model.MaxNodes, "nodes up to %d exceed the model's max_nodes %d", c.MaxNodes, c.Model.MaxNodes)
	check(c.LR > 0, "lr %g: must be positive", c.LR)
	check(c.Warmup >= 0, "warmup %d: must be ≥ 0", c.Warmup)
	check(c.MinLRFactor >= 0 && c.MinLRFactor <= 1, "min lr factor %g: must be in [0, 1]", c.MinLRFactor)
	check(c.WeightDecay >= 0, "weight decay %g: must be ≥ 0", c.WeightDecay)
	check(c.ClipNorm >= 0, "clip norm %g: must be ≥ 0", c.ClipNorm)
	check(c.Loss.Delta >= 0 && c.Loss.DAG >= 0 && c.Loss.Acyclic >= 0 && c.Loss.L1 >= 0, "loss weights %+v: must be ≥ 0", c.Loss)
	check(c.Loss.HuberDelta >= 0, "huber delta %g: must be positive (0 means 1)", c.Loss.HuberDelta)
	check(c.TauStart > 0 && c.TauEnd > 0, "tau %g→%g: must be positive", c.TauStart, c.TauEnd)
	check(c.ValEvery >= 0 && c.ValGraphs >= 0, "validation every %d on %d graphs: must be ≥ 0", c.ValEvery, c.ValGraphs)
	check(c.ValGraphs == 0 || (c.ValNodes >= 2 && c.ValNodes <= c.Model.MaxNodes), "validation nodes %d: must be in [2, max_nodes %d]", c.ValNodes, c.Model.MaxNodes)
	check(c.LogEvery >= 1, "log every %d: must be at least 1", c.LogEvery)
	check(c.CkptEvery >= 0, "checkpoint every %d: must be ≥ 0", c.CkptEvery)
	check(c.Workers >= 0, "workers %d: must be ≥ 0", c.Workers)
	if c.Model.Variant.DataSet() {
		if err := c.Regimes.Validate(); err != nil {
			errs = append(errs, err)
		}
		check(c.Regimes.Queries >= 1, "model F trains on at least one query per data set, got %d", c.Regimes.Queries)
		w := c.DataSetLoss
		check(w.DAG >= 0 && w.Acyclic >= 0 && w.L1 >= 0 && w.Effect >= 0, "data-set loss weights %+v: must be ≥ 0", w)
	}
	return errors.Join(errs...)
}
