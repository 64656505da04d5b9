package cli

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"causeway/model"
	"causeway/scm"
	"causeway/train"
)

func trainCommand() *cli.Command {
	d := train.DefaultConfig(model.VariantA)
	m := d.Model
	return &cli.Command{
		Name:  "train",
		Usage: "train a model variant (A–E) on freshly generated SCMs",
		Description: "Draws every batch element from a fresh (graph, intervention), runs the variant's gorgonia graph,\n" +
			"applies Adam with decoupled weight decay, validates on held-out graphs and writes OUT/checkpoint.safetensors,\n" +
			"OUT/log.jsonl and OUT/summary.json. Ctrl-C writes a checkpoint; --resume continues it bit for bit.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "variant", Value: "A", Usage: "model variant: A, B, C, D, E or F (F reads whole data sets; unset flags take each variant's own recipe)"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "run directory for the checkpoint, log.jsonl and summary.json"},
			&cli.BoolFlag{Name: "resume", Usage: "continue the checkpoint in --out with its stored configuration (--steps may extend it)"},
			&cli.StringFlag{Name: "init", Usage: "warm-start a new run from this checkpoint (a run directory or its checkpoint.safetensors): parameters of the same name are copied, grown ones (appended inputs) padded with zeros, new ones freshly initialised; step, schedule and optimiser start afresh"},
			&cli.IntFlag{Name: "steps", Value: d.Steps, Usage: "optimiser steps"},
			&cli.IntFlag{Name: "batch", Value: d.Batch, Usage: "episodes per step"},
			&cli.StringFlag{Name: "nodes", Value: fmt.Sprintf("%d-%d", d.MinNodes, d.MaxNodes), Usage: "node range per batch, MIN-MAX or N"},
			&cli.Float64Flag{Name: "lr", Value: d.LR, Usage: "peak learning rate"},
			&cli.IntFlag{Name: "warmup", Value: d.Warmup, Usage: "linear warm-up steps before the cosine decay"},
			&cli.Float64Flag{Name: "min-lr-factor", Value: d.MinLRFactor, Usage: "final learning rate as a fraction of --lr"},
			&cli.Float64Flag{Name: "weight-decay", Value: d.WeightDecay, Usage: "decoupled weight decay"},
			&cli.Float64Flag{Name: "clip-norm", Value: d.ClipNorm, Usage: "global gradient-norm bound (0: off)"},
			&cli.Uint64Flag{Name: "seed", Value: d.Seed, Usage: "seed of weights, batches, dropout and Gumbel noise"},
			&cli.IntFlag{Name: "val-every", Value: d.ValEvery, Usage: "validate every k steps (0: only at the end)"},
			&cli.IntFlag{Name: "val-graphs", Value: d.ValGraphs, Usage: "held-out graphs per validation"},
			&cli.Float64Flag{Name: "node-exponent", Value: d.NodeExponent, Usage: "Model F: draw N with probability ∝ N^−α (0: uniformly; Model F's recipe takes 1.5, drawing small, cheap data sets more often)"},
			&cli.IntFlag{Name: "val-nodes", Value: d.ValNodes, Usage: "nodes of the held-out graphs"},
			&cli.Uint64Flag{Name: "val-seed", Value: d.ValSeed, Usage: "seed of the held-out graphs"},
			&cli.IntFlag{Name: "log-every", Value: d.LogEvery, Usage: "write a log.jsonl line every k steps"},
			&cli.IntFlag{Name: "ckpt-every", Value: d.CkptEvery, Usage: "write a checkpoint every k steps (0: only at the end)"},
			&cli.IntFlag{Name: "workers", Usage: "data-generation goroutines (0: one per core)"},
			&cli.Float64Flag{Name: "loss-delta", Value: d.Loss.Delta, Usage: "weight of the Huber delta loss"},
			&cli.Float64Flag{Name: "loss-dag", Value: d.Loss.DAG, Usage: "weight of the adjacency BCE"},
			&cli.Float64Flag{Name: "loss-acyclic", Value: d.Loss.Acyclic, Usage: "weight of the acyclicity term"},
			&cli.Float64Flag{Name: "loss-l1", Value: d.Loss.L1, Usage: "weight of the L1 sparsity term"},
			&cli.Float64Flag{Name: "loss-effect", Value: 1, Usage: "Model F: weight of the effect MSE"},
			&cli.Float64Flag{Name: "huber-delta", Value: 1, Usage: "Huber threshold δ of the delta loss (large δ: squared error, fits the mean)"},
			&cli.Float64Flag{Name: "tau-start", Value: d.TauStart, Usage: "Model C: initial Gumbel temperature"},
			&cli.Float64Flag{Name: "tau-end", Value: d.TauEnd, Usage: "Model C: final Gumbel temperature"},
			&cli.IntFlag{Name: "d-model", Value: m.DModel, Usage: "token width"},
			&cli.IntFlag{Name: "heads", Value: m.Heads, Usage: "attention heads"},
			&cli.IntFlag{Name: "layers", Value: m.Layers, Usage: "transformer layers (Model D: delta layers)"},
			&cli.IntFlag{Name: "struct-layers", Value: m.StructLayers, Usage: "Model D: structure-backbone layers"},
			&cli.IntFlag{Name: "ff", Value: m.FF, Usage: "feed-forward width"},
			&cli.Float64Flag{Name: "dropout", Value: m.Dropout, Usage: "dropout probability in training"},
			&cli.StringFlag{Name: "activation", Usage: "feed-forward activation gelu|relu (default: the variant's, gelu for A–C, relu for D–E)"},
			&cli.IntFlag{Name: "max-nodes", Value: m.MaxNodes, Usage: "largest N the model accepts"},
			&cli.IntFlag{Name: "stats", Usage: "Model F: version of the data-set statistics, 1 to " + fmt.Sprint(model.LatestStats) + " (default: the latest)"},
			&cli.IntFlag{Name: "triangle", Usage: "Model F: width of the triangle update in each axial block, 0 for none (default: 32)"},
			&cli.BoolFlag{Name: "equivariant", Usage: "drop the label-keyed parts so permuting columns permutes outputs"},
			&cli.BoolFlag{Name: "pair-stats", Usage: "add learned multiples of |corr| of the observational and interventional columns to the DAG logits"},
			&cli.BoolFlag{Name: "mean-shift-skip", Usage: "add the mean-shift baseline to the delta head (the head learns a correction)"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error"},
		}, priorFlags()...),
		Action: runTrain,
	}
}

func runTrain(c *cli.Context) error {
	v, err := model.ParseVariant(c.String("variant"))
	if err != nil {
		return err
	}
	// Start from the variant's own recipe; a flag given on the command
	// line overrides it (the flags' listed defaults are Model A's).
	cfg := train.DefaultConfig(v)
	if c.IsSet("nodes") {
		if cfg.MinNodes, cfg.MaxNodes, err = parseRange(c.String("nodes")); err != nil {
			return fmt.Errorf("--nodes: %w", err)
		}
	}
	if cfg.SCM, err = priorFromFlags(c, scm.DefaultConfig()); err != nil {
		return err
	}
	ints := map[string]*int{"steps": &cfg.Steps, "batch": &cfg.Batch, "warmup": &cfg.Warmup, "val-every": &cfg.ValEvery,
		"val-graphs": &cfg.ValGraphs, "val-nodes": &cfg.ValNodes, "log-every": &cfg.LogEvery, "ckpt-every": &cfg.CkptEvery,
		"workers": &cfg.Workers, "d-model": &cfg.Model.DModel, "heads": &cfg.Model.Heads, "layers": &cfg.Model.Layers,
		"struct-layers": &cfg.Model.StructLayers, "ff": &cfg.Model.FF, "max-nodes": &cfg.Model.MaxNodes,
		"stats": &cfg.Model.Stats, "triangle": &cfg.Model.Triangle}
	floats := map[string]*float64{"lr": &cfg.LR, "min-lr-factor": &cfg.MinLRFactor, "weight-decay": &cfg.WeightDecay,
		"clip-norm": &cfg.ClipNorm, "node-exponent": &cfg.NodeExponent, "loss-delta": &cfg.Loss.Delta, "loss-dag": &cfg.Loss.DAG, "loss-acyclic": &cfg.Loss.Acyclic,
		"loss-l1": &cfg.Loss.L1, "huber-delta": &cfg.Loss.HuberDelta, "tau-start": &cfg.TauStart, "tau-end": &cfg.TauEnd,
		"dropout": &cfg.Model.Dropout}
	if v.DataSet() {
		floats["loss-dag"], floats["loss-acyclic"], floats["loss-l1"] = &cfg.DataSetLoss.DAG, &cfg.DataSetLoss.Acyclic, &cfg.DataSetLoss.L1
		floats["loss-effect"] = &cfg.DataSetLoss.Effect
	}
	for name, p := range ints {
		if c.IsSet(name) {
			*p = c.Int(name)
		}
	}
	for name, p := range floats {
		if c.IsSet(name) {
			*p = c.Float64(name)
		}
	}
	for name, p := range map[string]*uint64{"seed": &cfg.Seed, "val-seed": &cfg.ValSeed} {
		if c.IsSet(name) {
			*p = c.Uint64(name)
		}
	}
	m := &cfg.Model
	for name, p := range map[string]*bool{"equivariant": &m.Equivariant, "mean-shift-skip": &m.MeanShiftSkip, "pair-stats": &m.PairStats} {
		if c.IsSet(name) {
			*p = c.Bool(name)
		}
	}
	if a := c.String("activation"); a != "" {
		m.Activation = model.Activation(strings.ToLower(a))
	}
	opt := train.Options{Out: c.String("out"), Resume: c.Bool("resume"), Version: c.App.Version, Progress: os.Stderr}
	if init := c.String("init"); init != "" {
		if opt.Resume {
			return errors.New("--init starts a new run; --resume continues one: pass one of them")
		}
		if st, err := os.Stat(init); err == nil && st.IsDir() {
			init = filepath.Join(init, model.CheckpointFile)
		}
		opt.Init = init
	}
	if opt.Resume && c.IsSet("steps") {
		opt.Steps = cfg.Steps
	}
	if opt.Resume && c.IsSet("variant") {
		opt.Variant = v
	}
	if opt.Logger, err = newLogger(c.String("log-level")); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := train.Run(ctx, cfg, opt)
	if errors.Is(err, train.ErrInterrupted) {
		return cli.Exit(err.Error(), 130)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "trained Model %s: %d steps in %.0fs (%.2f steps/s, %s)\n", sum.Variant, sum.Steps, sum.Seconds, sum.StepsPerSec, sum.BLAS)
	if sum.Final != nil {
		if err := sum.Final.WriteTable(c.App.Writer); err != nil {
			return err
		}
	}
	if d := sum.FinalDataSet; d != nil {
		st := d.Graph.Structure
		fmt.Fprintf(c.App.Writer, "held-out data sets: %d  AUROC %.3f  AUPRC %.3f  SHD %.1f (empty graph %.1f)\n", d.Graph.Graphs, st.AUROC, st.AUPRC, st.SHD, d.Graph.EmptyGraph.SHD)
		fmt.Fprintf(c.App.Writer, "effects: unseen MSE %.3g (%.2f× zero shift), seen MSE %.3g (%.2f× sample mean shift)\n", d.Unseen.MSE, d.Unseen.Ratio, d.Seen.MSE, d.Seen.Ratio)
	}
	fmt.Fprintf(c.App.Writer, "checkpoint: %s\n", model.CheckpointPath(opt.Out))
	return nil
}

// parseRange parses "20-50" or "20" into a node range.
func parseRange(s string) (lo, hi int, err error) {
	a, b, found := strings.Cut(strings.TrimSpace(s), "-")
	if lo, err = strconv.Atoi(strings.TrimSpace(a)); err != nil {
		return 0, 0, fmt.Errorf("%q is not MIN-MAX or N", s)
	}
	hi = lo
	if found {
		if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
			return 0, 0, fmt.Errorf("%q is not MIN-MAX or N", s)
		}
	}
	if lo < 2 || hi < lo {
		return 0, 0, fmt.Errorf("%q: want 2 ≤ MIN ≤ MAX", s)
	}
	return lo, hi, nil
}
