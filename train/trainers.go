package train

import (
	"fmt"
	"log/slog"
	"math/rand/v2"

	"causeway/metrics"
	"causeway/nn"
	"causeway/scm"
)

// trainer is the variant-specific part of a run: where batches come from,
// how one step runs and how the model is validated.
type trainer interface {
	// step draws the next batch and runs forward and backward on it.
	step(rng *rand.Rand, tau float64) (loss LossParts, nodes int, err error)
	// validate scores the model on the held-out set (nil, nil without one).
	validate(log *slog.Logger, step int) (*metrics.Report, *DataSetReport, error)
	// status is the progress line's loss summary.
	status(l LossParts) string
	close()
}

// pairTrainer trains variants A–E on scm.Stream batches.
type pairTrainer struct {
	cfg    Config
	net    *nn.Net
	held   []*scm.Batch
	stream *scm.Stream
}

func newPairTrainer(cfg Config, net *nn.Net, start int) (*pairTrainer, error) {
	held, err := heldOut(cfg)
	if err != nil {
		return nil, fmt.Errorf("validation set: %w", err)
	}
	stream, err := scm.NewStream(scm.StreamConfig{
		SCM: cfg.SCM, Batch: cfg.Batch, MinNodes: cfg.MinNodes, MaxNodes: cfg.MaxNodes,
		Workers: cfg.Workers, Start: start,
	}, cfg.Seed)
	if err != nil {
		return nil, err
	}
	return &pairTrainer{cfg: cfg, net: net, held: held, stream: stream}, nil
}

func (t *pairTrainer) step(rng *rand.Rand, tau float64) (LossParts, int, error) {
	b, err := t.stream.Next()
	if err != nil {
		return LossParts{}, 0, fmt.Errorf("data: %w", err)
	}
	loss, err := t.net.Step(&nn.Batch{Pairs: b.Pairs, Delta: b.Delta, Adj: b.Adj}, t.cfg.Loss, tau, rng)
	return LossParts{Total: loss.Total, Huber: loss.Huber, BCE: loss.BCE, Acyclic: loss.Acyclic, L1: loss.L1}, b.N, err
}

func (t *pairTrainer) validate(log *slog.Logger, step int) (*metrics.Report, *DataSetReport, error) {
	if len(t.held) == 0 {
		return nil, nil, nil
	}
	rep, err := Evaluate(t.net, t.held)
	if err != nil {
		return nil, nil, err
	}
	log.Info("validation", "step", step, "shd", rep.Structure.SHD, "auroc", rep.Structure.AUROC,
		"delta_mse", rep.Delta.MSE, "empty_shd", rep.EmptyGraph.SHD, "meanshift_mse", rep.MeanShift.MSE)
	return &rep, nil, nil
}

func (t *pairTrainer) status(l LossParts) string {
	return fmt.Sprintf("loss %.3f huber %.3f bce %.3f", l.Total, l.Huber, l.BCE)
}

func (t *pairTrainer) close() { t.stream.Close() }

// dataSetTrainer trains Model F on scm.RegimeStream batches.
type dataSetTrainer struct {
	cfg    Config
	net    *nn.Net
	held   []*DataSetCase
	stream *scm.RegimeStream
	// ready holds batches whose statistics are computed (nn's Prepare)
	// ahead of the step that uses them, by one goroutine; stop ends it.
	ready chan preparedBatch
	stop  chan struct{}
	done  chan struct{}
}

// preparedBatch is a training batch with its statistics computed, or the
// error that ended the stream.
type preparedBatch struct {
	batch *nn.DataSetBatch
	err   error
}

// prepareAhead reads the stream and prepares each batch's statistics while
// the trainer runs the step before it (a gorgonia step leaves a core idle
// between its parallel products): the values are the same as computed in the
// step, the time is not.
func (t *dataSetTrainer) prepareAhead() {
	defer close(t.done)
	defer close(t.ready)
	for {
		b, err := t.stream.Next()
		var p preparedBatch
		if err != nil {
			p.err = err
		} else {
			select {
			case <-t.stop:
				return
			default:
			}
			p.batch = RegimeBatch(b)
			p.batch.Prepare(t.net.Config())
		}
		select {
		case t.ready <- p:
		case <-t.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func newDataSetTrainer(cfg Config, net *nn.Net, start int) (*dataSetTrainer, error) {
	var held []*DataSetCase
	if cfg.ValGraphs > 0 {
		p := cfg.SCM
		p.Nodes = cfg.ValNodes
		var err error
		if held, err = DataSetCases(p, cfg.ValGraphs, cfg.ValSeed, cfg.Workers); err != nil {
			return nil, fmt.Errorf("validation set: %w", err)
		}
	}
	stream, err := scm.NewRegimeStream(scm.RegimeStreamConfig{Prior: cfg.Regimes, Batch: cfg.Batch,
		MinNodes: cfg.MinNodes, MaxNodes: cfg.MaxNodes, NodeExponent: cfg.NodeExponent, Workers: cfg.Workers, Start: start}, cfg.Seed)
	if err != nil {
		return nil, err
	}
	t := &dataSetTrainer{cfg: cfg, net: net, held: held, stream: stream,
		ready: make(chan preparedBatch), stop: make(chan struct{}), done: make(chan struct{})}
	go t.prepareAhead()
	return t, nil
}

func (t *dataSetTrainer) step(rng *rand.Rand, _ float64) (LossParts, int, error) {
	p, ok := <-t.ready
	if !ok {
		return LossParts{}, 0, fmt.Errorf("data: %w", scm.ErrClosed)
	}
	if p.err != nil {
		return LossParts{}, 0, fmt.Errorf("data: %w", p.err)
	}
	loss, err := t.net.StepDataSet(p.batch, t.cfg.DataSetLoss, rng)
	return LossParts{Total: loss.Total, BCE: loss.BCE, Acyclic: loss.Acyclic, L1: loss.L1, EffectMSE: loss.EffectMSE}, p.batch.N, err
}

func (t *dataSetTrainer) validate(log *slog.Logger, step int) (*metrics.Report, *DataSetReport, error) {
	if len(t.held) == 0 {
		return nil, nil, nil
	}
	rep, err := EvaluateDataSets(t.net, t.held)
	if err != nil {
		return nil, nil, err
	}
	log.Info("validation", "step", step, "auroc", rep.Graph.Structure.AUROC, "auprc", rep.Graph.Structure.AUPRC,
		"shd", rep.Graph.Structure.SHD, "empty_shd", rep.Graph.EmptyGraph.SHD,
		"unseen_mse_ratio", rep.Unseen.Ratio, "seen_mse_ratio", rep.Seen.Ratio)
	return nil, &rep, nil
}

func (t *dataSetTrainer) status(l LossParts) string {
	return fmt.Sprintf("loss %.3f bce %.3f effect %.3f", l.Total, l.BCE, l.EffectMSE)
}

func (t *dataSetTrainer) close() {
	close(t.stop)
	t.stream.Close()
	<-t.done
}

// RegimeBatch converts a generated batch to the training backend's layout.
func RegimeBatch(b *scm.RegimeBatch) *nn.DataSetBatch {
	out := &nn.DataSetBatch{B: len(b.Sets), N: b.N, Q: len(b.Sets[0].Queries)}
	for _, d := range b.Sets {
		e := nn.DataSetElement{R: d.R, Samples: d.Samples, Intervened: d.Intervened, Adj: d.Adj, Effect: d.Effects}
		for _, q := range d.Queries {
			e.QueryNodes = append(e.QueryNodes, q.Node)
			e.QueryValues = append(e.QueryValues, float32(q.Value))
		}
		out.Sets = append(out.Sets, e)
	}
	return out
}
