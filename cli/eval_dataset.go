package cli

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/urfave/cli/v2"

	"causeway/api"
	"causeway/contract"
	"causeway/model"
	"causeway/nn"
	"causeway/onnxrt"
	"causeway/scm"
	"causeway/train"
)

// runEvalDataSets scores a data-set-level predictor (Model F, any exported
// model, or the baseline) on held-out data sets.
func runEvalDataSets(c *cli.Context) error {
	predict, name, err := evalPredictor(c)
	if err != nil {
		return err
	}
	var cases []*train.DataSetCase
	source := ""
	if dir := c.String("data"); dir != "" {
		if cases, err = dataSetCases(dir, c.Uint64("seed")); err != nil {
			return err
		}
		source = dir
	} else {
		prior, err := priorFromFlags(c, scm.DefaultConfig())
		if err != nil {
			return err
		}
		prior.Nodes = c.Int("nodes")
		if c.Int("graphs") < 1 {
			return fmt.Errorf("--graphs %d: must be at least 1", c.Int("graphs"))
		}
		if cases, err = train.DataSetCases(prior, c.Int("graphs"), c.Uint64("seed"), c.Int("workers")); err != nil {
			return err
		}
		source = fmt.Sprintf("%d held-out data sets, N=%d, %s prior, %.0f%% of nodes intervened, %d rows per regime, seed %d",
			c.Int("graphs"), prior.Nodes, prior.Prior, 100*prior.InterventionFrac, prior.Samples, c.Uint64("seed"))
	}
	rep, err := train.ScoreDataSets(predict, cases)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Model  string              `json:"model"`
			Source string              `json:"source"`
			Report train.DataSetReport `json:"report"`
		}{name, source, rep})
	}
	fmt.Fprintf(c.App.Writer, "%s on %s\n\n", name, source)
	writeDataSetReport(c, rep)
	return nil
}

func writeDataSetReport(c *cli.Context, rep train.DataSetReport) {
	w := c.App.Writer
	st, empty := rep.Graph.Structure, rep.Graph.EmptyGraph
	fmt.Fprintf(w, "graph   AUROC %.3f  AUPRC %.3f  SHD %.1f (empty graph %.1f, ratio %.2f)  precision %.2f  recall %.2f  edges %.1f of %.1f\n",
		st.AUROC, st.AUPRC, st.SHD, empty.SHD, st.SHD/empty.SHD, st.Precision, st.Recall, st.Edges, rep.Graph.TrueEdges)
	line := func(label, base string, e train.EffectScores) {
		if e.Queries == 0 || math.IsNaN(e.MSE) {
			fmt.Fprintf(w, "%-7s none\n", label)
			return
		}
		fmt.Fprintf(w, "%-7s %d queries  MSE %.4g  %s %.4g  ratio %.3f\n", label, e.Queries, e.MSE, base, e.BaselineMSE, e.Ratio)
	}
	line("unseen", "zero shift", rep.Unseen)
	line("seen", "sample mean shift", rep.Seen)
	if len(rep.Relations) > 0 {
		fmt.Fprintf(w, "non-edges ranked above edges (AUROC lost; mean probability):")
		for _, r := range rep.Relations {
			fmt.Fprintf(w, "  %s %.4f (%.3f)", r.Relation, r.AUROCLoss, r.MeanProbability)
		}
		fmt.Fprintln(w)
	}
}

// evalPredictor returns the predictor the flags name and its label.
func evalPredictor(c *cli.Context) (train.DataSetPredictor, string, error) {
	switch {
	case c.String("baseline") != "":
		if c.String("baseline") != "stats" {
			return nil, "", fmt.Errorf("--baseline %q: the baseline is stats", c.String("baseline"))
		}
		return train.StatsBaseline(model.DefaultConfig(model.VariantF)), "baseline stats", nil
	case c.String("model") != "":
		m, err := loadModelFile(c, c.String("model"))
		if err != nil {
			return nil, "", fmt.Errorf("--model: %w", err)
		}
		label := fmt.Sprintf("%s (Model %s, %s)", m.Name(), m.Config().Variant, c.String("model"))
		if m.DataSet() {
			return func(d *contract.DataSet) ([]float32, []float32, error) {
				out, err := m.RunDataSet(c.Context, d)
				return out.AdjLogits, out.Effect, err
			}, label, nil
		}
		return blockPredictor(c, m), label, nil
	}
	ck, err := model.LoadCheckpoint(c.String("checkpoint"))
	if err != nil {
		return nil, "", err
	}
	net, err := nn.NewNet(ck.Config, ck.Params)
	if err != nil {
		return nil, "", err
	}
	return train.NetPredictor(net), fmt.Sprintf("Model %s at step %d (%s)", ck.Config.Variant, ck.Step, model.CheckpointPath(c.String("checkpoint"))), nil
}

// blockPredictor scores a sample-pair model (A–E) the way `causeway predict
// --data` uses it: the graph is the mean of its per-block predictions, and
// the effect of an intervention the data ran is its predicted delta from
// the observational mean (NaN, so unscored, for others).
func blockPredictor(c *cli.Context, m *onnxrt.Model) train.DataSetPredictor {
	return func(d *contract.DataSet) ([]float32, []float32, error) {
		n := d.N
		ds := &scm.Dataset{Names: scm.VariableNames(n)}
		blocks := map[[2]float32]int{}
		for r := range d.R {
			row := d.Samples[r*n : (r+1)*n]
			k := -1
			for j := range n {
				if d.Intervened[r*n+j] == 1 {
					k = j
				}
			}
			if k < 0 {
				ds.Obs = append(ds.Obs, row...)
				continue
			}
			key := [2]float32{float32(k), row[k]}
			i, ok := blocks[key]
			if !ok {
				i = len(ds.Blocks)
				blocks[key] = i
				ds.Blocks = append(ds.Blocks, scm.Block{Node: k, Value: float64(row[k])})
			}
			ds.Blocks[i].Data = append(ds.Blocks[i].Data, row...)
		}
		res, err := api.PredictDataset(c.Context, m, ds, api.DefaultThreshold)
		if err != nil {
			return nil, nil, err
		}
		logits := make([]float32, n*n)
		for i := range n {
			for j := range n {
				p := math.Min(math.Max(float64(res.AdjacencyMean[i][j]), 1e-7), 1-1e-7)
				logits[i*n+j] = float32(math.Log(p / (1 - p)))
			}
		}
		effect := make([]float32, d.Q*n)
		for q := range d.Q {
			k := -1
			for j := range n {
				if d.QueryMask[q*n+j] == 1 {
					k = j
				}
			}
			i, ok := blocks[[2]float32{float32(k), d.QueryValue[q]}]
			for j := range n {
				effect[q*n+j] = float32(math.NaN())
				if ok {
					effect[q*n+j] = res.Predictions[i].Delta[j]
				}
			}
		}
		return logits, effect, nil
	}
}

// dataSetCases loads every graph directory under dir (or dir itself); the
// generating SCM is rebuilt from its scm.json (seed and index), which gives
// the true effects.
func dataSetCases(dir string, seed uint64) ([]*train.DataSetCase, error) {
	paths, err := graphDirs(dir)
	if err != nil {
		return nil, err
	}
	var out []*train.DataSetCase
	for _, p := range paths {
		d, err := loadScored(p)
		if err != nil {
			return nil, err
		}
		g, err := scm.NewDataset(d.Config, d.Seed, d.Index)
		if err != nil || !sameRows(g, d) {
			return nil, fmt.Errorf("--data %s: its scm.json does not regenerate these data, so the true effects are unknown", p)
		}
		cs, err := train.NewDataSetCase(g, seed)
		if err != nil {
			return nil, fmt.Errorf("--data %s: %w", p, err)
		}
		out = append(out, cs)
	}
	return out, nil
}

// sameRows reports whether two data sets hold the same observational rows
// and blocks.
func sameRows(a, b *scm.Dataset) bool {
	if len(a.Obs) != len(b.Obs) || len(a.Blocks) != len(b.Blocks) {
		return false
	}
	for i := range a.Obs {
		if a.Obs[i] != b.Obs[i] {
			return false
		}
	}
	for k := range a.Blocks {
		if a.Blocks[k].Node != b.Blocks[k].Node || len(a.Blocks[k].Data) != len(b.Blocks[k].Data) {
			return false
		}
	}
	return true
}
