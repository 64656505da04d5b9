package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"causeway/atomicfile"
	"causeway/metrics"
	"causeway/model"
	"causeway/nn"
	"causeway/progress"
	"causeway/scm"
)

// File names inside a run directory.
const (
	LogFile     = "log.jsonl"
	SummaryFile = "summary.json"
)

// ErrInterrupted is returned by Run when its context is cancelled: the
// checkpoint of the last completed step has been written and the run can be
// continued with Options.Resume.
var ErrInterrupted = errors.New("training interrupted")

// domainStep separates the per-step random streams (dropout, Gumbel noise)
// from the weight initialisation, which also derives from the seed.
const domainStep = 0x5eed_57e9

// Options are the parts of a run that are not stored in its checkpoint.
type Options struct {
	// Out is the run directory (created if missing).
	Out string
	// Resume continues from Out's checkpoint with its stored configuration;
	// a positive Steps extends (or shortens) the run.
	Resume bool
	Steps  int
	// Init, for a new run, is a checkpoint to warm-start from (see
	// WarmStart): the run's own configuration, its parameters taken from
	// Init where they exist. The step, schedule and optimiser state start
	// afresh.
	Init string
	// StopAfter, when positive, stops the run after that step as an
	// interruption does (checkpoint written, ErrInterrupted returned), so
	// a long run can be done in chunks with --resume.
	StopAfter int
	// Variant, when set with Resume, is the variant the caller asked for:
	// resuming a checkpoint of another variant is an error instead of
	// silently continuing the stored one.
	Variant model.Variant
	// Logger receives structured progress (nil: discard).
	Logger *slog.Logger
	// Progress receives the progress line (nil: none).
	Progress io.Writer
	// Version is recorded in checkpoints and the summary.
	Version string
}

// LogEntry is one line of log.jsonl: a training step (Kind "train") or a
// validation (Kind "val", with Val set).
type LogEntry struct {
	Kind      string          `json:"kind"`
	Step      int             `json:"step"`
	Elapsed   float64         `json:"elapsed_s"`
	Loss      *LossParts      `json:"loss,omitempty"`
	LR        float64         `json:"lr,omitempty"`
	GradNorm  float64         `json:"grad_norm,omitempty"`
	Tau       float64         `json:"tau,omitempty"`
	Nodes     int             `json:"nodes,omitempty"`
	StepsPerS float64         `json:"steps_per_s,omitempty"`
	Val       *metrics.Report `json:"val,omitempty"`
	// ValDataSet is a data-set model's validation (Kind "val").
	ValDataSet *DataSetReport `json:"val_dataset,omitempty"`
}

// LossParts is a training step's loss in log.jsonl: the weighted total and
// each unweighted term (see nn.Loss and nn.DataSetLoss; Huber belongs to
// A–E, EffectMSE to F).
type LossParts struct {
	Total     float64 `json:"total"`
	Huber     float64 `json:"huber"`
	BCE       float64 `json:"bce"`
	Acyclic   float64 `json:"acyclic"`
	L1        float64 `json:"l1"`
	EffectMSE float64 `json:"effect_mse,omitempty"`
}

// Summary is summary.json: the run's configuration, cost and final scores.
type Summary struct {
	Variant      model.Variant   `json:"variant"`
	Config       Config          `json:"config"`
	Steps        int             `json:"steps"`
	Seconds      float64         `json:"seconds"`
	StepsPerSec  float64         `json:"steps_per_s"`
	BLAS         string          `json:"blas"`
	Params       int             `json:"params"`
	SkippedStep  int             `json:"skipped_steps"`
	Final        *metrics.Report `json:"final,omitempty"`
	FinalDataSet *DataSetReport  `json:"final_dataset,omitempty"`
	Version      string          `json:"version"`
}

// Run trains (or resumes) one run and returns its summary. Cancelling ctx
// stops after the current step, writes a checkpoint and returns
// ErrInterrupted.
func Run(ctx context.Context, cfg Config, opt Options) (*Summary, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opt.Out == "" {
		return nil, errors.New("train: no output directory")
	}
	ckPath := filepath.Join(opt.Out, model.CheckpointFile)
	var ck *model.Checkpoint
	if opt.Resume {
		var err error
		if ck, err = model.LoadCheckpoint(ckPath); err != nil {
			return nil, fmt.Errorf("train: resume: %w", err)
		}
		if len(ck.Training) == 0 {
			return nil, fmt.Errorf("train: resume: %s holds no training configuration", ckPath)
		}
		var stored Config
		if err := json.Unmarshal(ck.Training, &stored); err != nil {
			return nil, fmt.Errorf("train: resume: training configuration: %w", err)
		}
		if err := model.Compatible(stored.Model, ck.Config); err != nil {
			return nil, fmt.Errorf("train: resume: %w", err)
		}
		if opt.Variant != "" && opt.Variant != ck.Config.Variant {
			return nil, fmt.Errorf("train: resume %s: the checkpoint is Model %s, not Model %s (drop --variant or choose another --out)",
				ckPath, ck.Config.Variant, opt.Variant)
		}
		cfg = stored
	} else if _, err := os.Stat(ckPath); err == nil {
		return nil, fmt.Errorf("train: %s already holds a checkpoint: pass --resume to continue it or choose another --out", opt.Out)
	}
	if opt.Steps > 0 {
		cfg.Steps = opt.Steps
	}
	var from *model.Checkpoint
	if opt.Init != "" && opt.Resume {
		return nil, errors.New("train: Init starts a new run and Resume continues one: set one of them")
	}
	if opt.Init != "" {
		var err error
		if from, err = model.LoadCheckpoint(opt.Init); err != nil {
			return nil, fmt.Errorf("train: --init: %w", err)
		}
		if from.Config.Variant != cfg.Model.Variant {
			return nil, fmt.Errorf("train: --init %s: the checkpoint is Model %s, the run Model %s", opt.Init, from.Config.Variant, cfg.Model.Variant)
		}
		if err := CheckWarmStart(from.Config, cfg.Model); err != nil {
			return nil, fmt.Errorf("train: --init %s: %w", opt.Init, err)
		}
		cfg.Init, cfg.InitStep = opt.Init, from.Step
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}

	start := 0
	params := model.Params(nil)
	adam := NewAdam(cfg.WeightDecay)
	if ck != nil {
		start, params = ck.Step, ck.Params
		adam.Step = ck.Step
		if ck.Moment != nil {
			adam.M, adam.V = ck.Moment, ck.Velocity
		}
		if start >= cfg.Steps {
			return nil, fmt.Errorf("train: resume: the checkpoint is at step %d, the run has %d steps (pass a larger --steps to extend it)", start, cfg.Steps)
		}
	} else if params, err = model.Init(cfg.Model, cfg.Seed); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	} else if from != nil {
		kept, grown, err := WarmStart(params, from.Params)
		if err != nil {
			return nil, fmt.Errorf("train: --init %s: %w", opt.Init, err)
		}
		log.Info("warm start", "from", opt.Init, "step", from.Step, "kept", kept, "grown", grown, "fresh", len(params)-kept-grown)
	}
	net, err := nn.NewNet(cfg.Model, params)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	names := net.Names()
	live := make(map[string][]float32, len(names))
	for name, t := range net.Params() {
		live[name] = t.Data
	}

	logFile, err := openLog(filepath.Join(opt.Out, LogFile), start)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer logFile.Close()
	enc := json.NewEncoder(logFile)

	var tr trainer
	if cfg.Model.Variant.DataSet() {
		tr, err = newDataSetTrainer(cfg, net, start)
	} else {
		tr, err = newPairTrainer(cfg, net, start)
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer tr.close()

	save := func(step int) error {
		return model.SaveCheckpoint(ckPath, &model.Checkpoint{
			Config: cfg.Model, Params: net.Params(), Step: step, Seed: cfg.Seed,
			Moment: adam.M, Velocity: adam.V, Training: cfgJSON, Version: opt.Version,
		})
	}
	var final *metrics.Report
	var finalDataSet *DataSetReport
	validate := func(step int, elapsed float64) error {
		rep, drep, err := tr.validate(log, step)
		if err != nil || (rep == nil && drep == nil) {
			return err
		}
		final, finalDataSet = rep, drep
		return enc.Encode(LogEntry{Kind: "val", Step: step, Elapsed: elapsed, Val: rep, ValDataSet: drep})
	}

	sched := Schedule{Peak: cfg.LR, Warmup: cfg.Warmup, Total: cfg.Steps, MinFactor: cfg.MinLRFactor}
	temp := Temperature{Start: cfg.TauStart, End: cfg.TauEnd, Total: cfg.Steps}
	bar := progress.New(opt.Progress, cfg.Steps, "train "+string(cfg.Model.Variant), progress.WithStart(start))
	log.Info("training", "variant", cfg.Model.Variant, "params", net.Params().Count(), "steps", cfg.Steps,
		"from", start, "batch", cfg.Batch, "nodes", fmt.Sprintf("%d-%d", cfg.MinNodes, cfg.MaxNodes), "blas", nn.BLAS())

	began := time.Now()
	skipped := 0
	step := start
	for step < cfg.Steps {
		if ctx.Err() != nil || (opt.StopAfter > 0 && step >= opt.StopAfter) {
			if err := save(step); err != nil {
				return nil, fmt.Errorf("train: checkpoint on interrupt: %w", err)
			}
			bar.Done()
			log.Info("interrupted; checkpoint written", "step", step, "path", ckPath)
			return nil, fmt.Errorf("%w at step %d (checkpoint %s; continue with --resume)", ErrInterrupted, step, ckPath)
		}
		step++
		rng := rand.New(rand.NewPCG(cfg.Seed^domainStep, uint64(step)))
		tau := temp.At(step)
		loss, nodes, err := tr.step(rng, tau)
		if err != nil {
			return nil, fmt.Errorf("train: step %d: %w", step, err)
		}
		grads := net.Grads()
		norm := ClipGradNorm(names, grads, cfg.ClipNorm)
		lr := sched.At(step)
		if math.IsNaN(loss.Total) || math.IsInf(loss.Total, 0) || math.IsNaN(norm) || math.IsInf(norm, 0) {
			// A non-finite step is skipped whole (weights and moments keep
			// their values) so one degenerate batch cannot poison the run.
			skipped++
			adam.Step++
			log.Warn("non-finite loss or gradient; step skipped", "step", step, "loss", loss.Total, "grad_norm", norm)
		} else if err := adam.Update(names, live, grads, lr); err != nil {
			return nil, fmt.Errorf("train: step %d: %w", step, err)
		}
		elapsed := time.Since(began).Seconds()
		bar.SetStatus(tr.status(loss))
		bar.Add(1)
		if step%cfg.LogEvery == 0 || step == start+1 || step == cfg.Steps {
			e := LogEntry{Kind: "train", Step: step, Elapsed: elapsed, Loss: &loss, LR: lr, GradNorm: norm,
				Nodes: nodes, StepsPerS: float64(step-start) / elapsed}
			if cfg.Model.Variant == model.VariantC {
				e.Tau = tau
			}
			if err := enc.Encode(e); err != nil {
				return nil, fmt.Errorf("train: log: %w", err)
			}
			log.Debug("step", "step", step, "loss", loss.Total, "lr", lr, "grad_norm", norm)
		}
		if cfg.ValEvery > 0 && step%cfg.ValEvery == 0 || step == cfg.Steps {
			if err := validate(step, elapsed); err != nil {
				return nil, fmt.Errorf("train: validation at step %d: %w", step, err)
			}
		}
		if cfg.CkptEvery > 0 && step%cfg.CkptEvery == 0 && step != cfg.Steps {
			if err := save(step); err != nil {
				return nil, fmt.Errorf("train: %w", err)
			}
		}
	}
	bar.Done()
	if err := save(step); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	secs := time.Since(began).Seconds()
	sum := &Summary{
		Variant: cfg.Model.Variant, Config: cfg, Steps: step, Seconds: secs,
		StepsPerSec: float64(step-start) / secs, BLAS: nn.BLAS(), Params: net.Params().Count(),
		SkippedStep: skipped, Final: final, FinalDataSet: finalDataSet, Version: opt.Version,
	}
	data, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("train: summary: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(opt.Out, SummaryFile), append(data, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("train: summary: %w", err)
	}
	log.Info("done", "steps", step, "seconds", secs, "checkpoint", ckPath)
	return sum, nil
}

// openLog opens log.jsonl for appending. A fresh run (from step 0)
// truncates it; a resumed run keeps only the entries up to its checkpoint's
// step, so an interrupted-and-resumed run logs the same lines as an
// uninterrupted one.
func openLog(path string, step int) (*os.File, error) {
	if step == 0 {
		return os.Create(path)
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var keep []byte
	for line := range bytes.Lines(data) {
		var e LogEntry
		if json.Unmarshal(line, &e) == nil && e.Step <= step {
			keep = append(keep, line...)
		}
	}
	if err := atomicfile.WriteFile(path, keep, 0o644); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0o644)
}

// heldOut draws the validation graphs: ValGraphs episodes of ValNodes
// nodes, one graph each, in batches of at most 32.
func heldOut(cfg Config) ([]*scm.Batch, error) {
	if cfg.ValGraphs == 0 {
		return nil, nil
	}
	return HeldOutGraphs(cfg.SCM, cfg.ValNodes, cfg.ValGraphs, cfg.ValSeed, cfg.Workers)
}

// HeldOutGraphs returns count held-out episodes on graphs of n nodes from
// the prior p, drawn with seed, in batches of at most 32 (the last one may be
// trimmed to make exactly count).
func HeldOutGraphs(p scm.Config, n, count int, seed uint64, workers int) ([]*scm.Batch, error) {
	const per = 32
	size := min(per, count)
	batches, err := scm.HeldOut(scm.StreamConfig{SCM: p, Batch: size, MinNodes: n, MaxNodes: n, Workers: workers},
		(count+size-1)/size, seed)
	if err != nil {
		return nil, err
	}
	if extra := len(batches)*size - count; extra > 0 {
		last := batches[len(batches)-1]
		batches[len(batches)-1] = last.Head(size - extra)
	}
	return batches, nil
}

// Evaluate scores net on batches (each element a separate graph) against
// the truth and the two baselines.
func Evaluate(net *nn.Net, batches []*scm.Batch) (metrics.Report, error) {
	var acc metrics.Accumulator
	for _, b := range batches {
		delta, logits, err := net.Predict(&nn.Batch{Pairs: b.Pairs})
		if err != nil {
			return metrics.Report{}, err
		}
		n, nn2, sn := b.N, b.N*b.N, b.S*b.N
		for i := 0; i < b.B; i++ {
			probs := make([]float32, nn2)
			for j, l := range logits[i*nn2 : (i+1)*nn2] {
				probs[j] = float32(1 / (1 + math.Exp(-float64(l))))
			}
			err := acc.Add(metrics.Prediction{
				N: n, AdjProbs: probs, TrueAdj: b.Adj[i*nn2 : (i+1)*nn2],
				Delta: delta[i*n : (i+1)*n], TrueDelta: b.Delta[i*n : (i+1)*n],
				BaselineDelta: metrics.MeanShift(b.Int[i*sn:(i+1)*sn], b.Target[i*n:(i+1)*n], n),
			})
			if err != nil {
				return metrics.Report{}, err
			}
		}
	}
	return acc.Report(), nil
}
