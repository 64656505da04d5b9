package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/urfave/cli/v2"

	"causeway/metrics"
	"causeway/model"
	"causeway/nn"
	"causeway/scm"
	"causeway/train"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "evaluate a checkpoint or an exported model on held-out data against baselines",
		Description: "A checkpoint of Model A–E is scored on sample-pair episodes: SHD (a reversed edge counts 1), AUROC,\n" +
			"AUPRC, F1 at 0.5, delta MSE and Huber on freshly generated held-out graphs (by default from the prior\n" +
			"the checkpoint was trained on), or on data sets written by `causeway scm` (--data: one episode per\n" +
			"intervention block).\n" +
			"Model F (checkpoint or --model), any --model FILE.onnx and --baseline are scored on whole data sets, as\n" +
			"`causeway predict --data` sees them: the graph (Model A–E: the mean over the data's blocks), and the\n" +
			"effects of 8 interventions the data ran (against the sample mean shift) and 8 it did not (against the\n" +
			"zero shift), scored against the SCM's true expected shift.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Usage: "run directory or checkpoint.safetensors"},
			&cli.StringFlag{Name: "model", Usage: "an exported model `FILE` (.onnx), run by the pure-Go executor"},
			maxModelSizeFlag(),
			&cli.StringFlag{Name: "baseline", Usage: "score a non-learned baseline instead of a model: `stats` (partial correlations and interventional shifts)"},
			&cli.IntFlag{Name: "nodes", Value: 20, Usage: "nodes of the generated held-out graphs"},
			&cli.IntFlag{Name: "graphs", Value: 200, Usage: "number of generated held-out graphs"},
			&cli.Uint64Flag{Name: "seed", Value: 12345, Usage: "seed of the held-out graphs (and of --data's row pairing)"},
			&cli.StringFlag{Name: "data", Usage: "directory written by `causeway scm` (graph-*/data.csv) or one graph directory"},
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON"},
			&cli.IntFlag{Name: "workers", Usage: "data-generation goroutines (0: one per core)"},
		}, priorFlags()...),
		Action: runEval,
	}
}

func runEval(c *cli.Context) error {
	given := 0
	for _, f := range []string{"checkpoint", "model", "baseline"} {
		if c.String(f) != "" {
			given++
		}
	}
	if given != 1 {
		return fmt.Errorf("eval: give exactly one of --checkpoint, --model and --baseline")
	}
	if c.String("checkpoint") == "" {
		return runEvalDataSets(c)
	}
	ck, err := model.LoadCheckpoint(c.String("checkpoint"))
	if err != nil {
		return err
	}
	if ck.Config.Variant.DataSet() {
		return runEvalDataSets(c)
	}
	net, err := nn.NewNet(ck.Config, ck.Params)
	if err != nil {
		return err
	}
	var batches []*scm.Batch
	source := ""
	if dir := c.String("data"); dir != "" {
		if batches, err = datasetBatches(dir, c.Uint64("seed")); err != nil {
			return err
		}
		source = dir
	} else {
		prior, err := evalPrior(c, ck)
		if err != nil {
			return err
		}
		n := c.Int("nodes")
		if n < 2 || n > ck.Config.MaxNodes {
			return fmt.Errorf("--nodes %d: the model accepts 2..%d", n, ck.Config.MaxNodes)
		}
		if c.Int("graphs") < 1 {
			return fmt.Errorf("--graphs %d: must be at least 1", c.Int("graphs"))
		}
		if batches, err = train.HeldOutGraphs(prior, n, c.Int("graphs"), c.Uint64("seed"), c.Int("workers")); err != nil {
			return err
		}
		source = fmt.Sprintf("%d held-out graphs, N=%d, %s prior, seed %d", c.Int("graphs"), n, prior.Prior, c.Uint64("seed"))
	}
	rep, err := train.Evaluate(net, batches)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Checkpoint string         `json:"checkpoint"`
			Variant    model.Variant  `json:"variant"`
			Step       int            `json:"step"`
			Source     string         `json:"source"`
			Report     metrics.Report `json:"report"`
		}{model.CheckpointPath(c.String("checkpoint")), ck.Config.Variant, ck.Step, source, rep})
	}
	fmt.Fprintf(c.App.Writer, "Model %s at step %d on %s\n\n", ck.Config.Variant, ck.Step, source)
	return rep.WriteTable(c.App.Writer)
}

// evalPrior is the prior of the held-out graphs: the one stored with the
// checkpoint's training run (the notebook's if none is stored), with any
// prior flag given on the command line taking precedence.
func evalPrior(c *cli.Context, ck *model.Checkpoint) (scm.Config, error) {
	base := scm.DefaultConfig()
	var tc train.Config
	if len(ck.Training) > 0 && json.Unmarshal(ck.Training, &tc) == nil {
		base = tc.SCM
	}
	return priorFromFlags(c, base)
}

// graphDirs returns the graph directories under dir (graph-*, sorted), or
// dir itself when it holds a data.csv.
func graphDirs(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "graph-*"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		if _, err := os.Stat(filepath.Join(dir, "data.csv")); err != nil {
			return nil, fmt.Errorf("--data %s: no graph-*/data.csv or data.csv found", dir)
		}
		paths = []string{dir}
	}
	sort.Strings(paths)
	return paths, nil
}

// loadScored loads the data set at p, which must have its true adjacency.
func loadScored(p string) (*scm.Dataset, error) {
	d, err := scm.LoadDataset(p)
	if err != nil {
		return nil, err
	}
	if d.Adj == nil {
		return nil, fmt.Errorf("--data %s: no adjacency.csv, so there is no truth to score against", p)
	}
	return d, nil
}

// datasetBatches loads every graph directory under dir (or dir itself) and
// turns each into one batch of episodes, one per intervention block.
func datasetBatches(dir string, seed uint64) ([]*scm.Batch, error) {
	paths, err := graphDirs(dir)
	if err != nil {
		return nil, err
	}
	var out []*scm.Batch
	for i, p := range paths {
		d, err := loadScored(p)
		if err != nil {
			return nil, err
		}
		b, err := d.Episodes(seed + uint64(i))
		if err != nil {
			return nil, fmt.Errorf("--data %s: %w", p, err)
		}
		out = append(out, b)
	}
	return out, nil
}
