package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"causeway/model"
	"causeway/nn"
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
			&cli.StringFlag{Name: "variant", Value: "A", Usage: "model variant: A, B, C, D or E"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "run directory for the checkpoint, log.jsonl and summary.json"},
			&cli.BoolFlag{Name: "resume", Usage: "continue the checkpoint in --out with its stored configuration (--steps may extend it)"},
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
			&cli.IntFlag{Name: "val-nodes", Value: d.ValNodes, Usage: "nodes of the held-out graphs"},
			&cli.Uint64Flag{Name: "val-seed", Value: d.ValSeed, Usage: "seed of the held-out graphs"},
			&cli.IntFlag{Name: "log-every", Value: d.LogEvery, Usage: "write a log.jsonl line every k steps"},
			&cli.IntFlag{Name: "ckpt-every", Value: d.CkptEvery, Usage: "write a checkpoint every k steps (0: only at the end)"},
			&cli.IntFlag{Name: "workers", Usage: "data-generation goroutines (0: one per core)"},
			&cli.Float64Flag{Name: "loss-delta", Value: d.Loss.Delta, Usage: "weight of the Huber delta loss"},
			&cli.Float64Flag{Name: "loss-dag", Value: d.Loss.DAG, Usage: "weight of the adjacency BCE"},
			&cli.Float64Flag{Name: "loss-acyclic", Value: d.Loss.Acyclic, Usage: "weight of the acyclicity term"},
			&cli.Float64Flag{Name: "loss-l1", Value: d.Loss.L1, Usage: "weight of the L1 sparsity term"},
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
	cfg := train.DefaultConfig(v)
	if cfg.MinNodes, cfg.MaxNodes, err = parseRange(c.String("nodes")); err != nil {
		return fmt.Errorf("--nodes: %w", err)
	}
	if cfg.SCM, err = priorFromFlags(c, scm.DefaultConfig()); err != nil {
		return err
	}
	cfg.Steps, cfg.Batch = c.Int("steps"), c.Int("batch")
	cfg.LR, cfg.Warmup, cfg.MinLRFactor = c.Float64("lr"), c.Int("warmup"), c.Float64("min-lr-factor")
	cfg.WeightDecay, cfg.ClipNorm, cfg.Seed = c.Float64("weight-decay"), c.Float64("clip-norm"), c.Uint64("seed")
	cfg.ValEvery, cfg.ValGraphs, cfg.ValNodes, cfg.ValSeed = c.Int("val-every"), c.Int("val-graphs"), c.Int("val-nodes"), c.Uint64("val-seed")
	cfg.LogEvery, cfg.CkptEvery, cfg.Workers = c.Int("log-every"), c.Int("ckpt-every"), c.Int("workers")
	cfg.Loss = nn.LossWeights{Delta: c.Float64("loss-delta"), DAG: c.Float64("loss-dag"), Acyclic: c.Float64("loss-acyclic"), L1: c.Float64("loss-l1"), HuberDelta: c.Float64("huber-delta")}
	cfg.TauStart, cfg.TauEnd = c.Float64("tau-start"), c.Float64("tau-end")
	m := &cfg.Model
	m.DModel, m.Heads, m.Layers, m.StructLayers, m.FF = c.Int("d-model"), c.Int("heads"), c.Int("layers"), c.Int("struct-layers"), c.Int("ff")
	m.Dropout, m.MaxNodes, m.Equivariant = c.Float64("dropout"), c.Int("max-nodes"), c.Bool("equivariant")
	m.MeanShiftSkip, m.PairStats = c.Bool("mean-shift-skip"), c.Bool("pair-stats")
	if a := c.String("activation"); a != "" {
		m.Activation = model.Activation(strings.ToLower(a))
	}
	opt := train.Options{Out: c.String("out"), Resume: c.Bool("resume"), Version: version, Progress: os.Stderr}
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
