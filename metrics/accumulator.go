package metrics

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Prediction is a model's output for one graph and one intervention, with
// the truth to score it against.
type Prediction struct {
	// N is the number of variables (nodes).
	N int
	// AdjProbs holds the predicted edge probabilities σ(adj_logits), N*N
	// row-major, [i][j] the edge i -> j. Values must lie in [0, 1]; logits
	// are rejected.
	AdjProbs []float32
	// TrueAdj is the true adjacency, N*N row-major, each entry 0 or 1. The
	// diagonal is ignored.
	TrueAdj []float32
	// Delta is the predicted shift of each variable (N values).
	Delta []float32
	// TrueDelta is the true shift, intervened row minus target row (N values).
	TrueDelta []float32
	// BaselineDelta is the mean-shift baseline's delta (see MeanShift), or
	// nil. Either every Prediction added to an Accumulator has one or none
	// has, so that the baseline is scored on the same cases as the model.
	BaselineDelta []float32
}

// Accumulator collects Predictions and summarises them in a Report; each
// Prediction counts as one graph (score every graph once, or accept that a
// graph seen under several interventions weighs more). The zero value is
// ready to use. It is safe for concurrent use and must not be
// copied after first use.
//
// Pooled metrics treat the off-diagonal entries of all graphs as one set of
// scores (micro-averaging), so every possible edge weighs the same; they are
// the headline numbers. Per-graph means weigh every graph the same and skip
// graphs where the metric is undefined (AUROC on a graph with no edge or
// with every edge, AUPRC on a graph with no edge). SHD and the number of
// predicted edges are means over graphs; delta metrics are means over all
// variables of all predictions.
type Accumulator struct {
	mu sync.Mutex

	graphs    int
	trueEdges int
	scores    []float32 // pooled off-diagonal probabilities
	labels    []bool    // pooled off-diagonal truth

	model, empty graphSums
	conf         confusion // model at EdgeThreshold; the empty graph has tp = fp = 0

	deltaN, baseN         int
	deltaSq, deltaHuber   float64
	baseSq, baseHuber     float64
	withBase, withoutBase int
}

// graphSums accumulates per-graph structure metrics.
type graphSums struct {
	shd, edges         int
	aurocSum, auprcSum float64
	aurocN, auprcN     int
}

// Add scores one prediction. It returns an error, and records nothing, if
// the slice lengths do not match N, a probability is outside [0, 1] or NaN,
// a true edge is not 0 or 1, or BaselineDelta is given for some predictions
// and not for others.
func (a *Accumulator) Add(p Prediction) error {
	if err := p.check(); err != nil {
		return err
	}
	n := p.N
	pred := Threshold(p.AdjProbs, EdgeThreshold)
	truth := Threshold(p.TrueAdj, 0.5)
	scores := OffDiagonal(p.AdjProbs, n)
	labels := OffDiagonal(truth, n)
	npos := 0
	for _, l := range labels {
		if l {
			npos++
		}
	}
	none := make([]bool, n*n)
	shdModel, shdEmpty := SHD(pred, truth, n), SHD(none, truth, n)
	edges := 0
	for _, e := range OffDiagonal(pred, n) {
		if e {
			edges++
		}
	}
	ps := make([]scored, len(scores))
	for i, s := range scores {
		ps[i] = scored{float64(s), labels[i]}
	}
	auc, aucOK := auroc(ps, npos)
	ap, apOK := auprc(ps, npos)

	a.mu.Lock()
	defer a.mu.Unlock()
	if p.BaselineDelta != nil && a.withoutBase > 0 || p.BaselineDelta == nil && a.withBase > 0 {
		return fmt.Errorf("metrics: BaselineDelta given for %d predictions and missing for %d: give it for all or none", a.withBase+btoi(p.BaselineDelta != nil), a.withoutBase+btoi(p.BaselineDelta == nil))
	}

	a.graphs++
	a.trueEdges += npos
	a.scores = append(a.scores, scores...)
	a.labels = append(a.labels, labels...)
	a.model.shd += shdModel
	a.model.edges += edges
	a.empty.shd += shdEmpty
	if aucOK {
		a.model.aurocSum += auc
		a.model.aurocN++
		a.empty.aurocSum += 0.5
		a.empty.aurocN++
	}
	if apOK {
		a.model.auprcSum += ap
		a.model.auprcN++
		a.empty.auprcSum += float64(npos) / float64(len(labels))
		a.empty.auprcN++
	}
	for i, s := range scores {
		a.conf.add(float64(s) > EdgeThreshold, labels[i])
	}

	a.deltaN += n
	for i := range n {
		d := float64(p.Delta[i]) - float64(p.TrueDelta[i])
		a.deltaSq += d * d
		a.deltaHuber += huber(d, HuberDelta)
	}
	if p.BaselineDelta == nil {
		a.withoutBase++
		return nil
	}
	a.withBase++
	a.baseN += n
	for i := range n {
		d := float64(p.BaselineDelta[i]) - float64(p.TrueDelta[i])
		a.baseSq += d * d
		a.baseHuber += huber(d, HuberDelta)
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// check validates a Prediction.
func (p Prediction) check() error {
	n := p.N
	if n < 1 {
		return fmt.Errorf("metrics: prediction has N = %d, want at least 1", n)
	}
	for _, s := range []struct {
		name string
		len  int
		want int
	}{
		{"AdjProbs", len(p.AdjProbs), n * n},
		{"TrueAdj", len(p.TrueAdj), n * n},
		{"Delta", len(p.Delta), n},
		{"TrueDelta", len(p.TrueDelta), n},
	} {
		if s.len != s.want {
			return fmt.Errorf("metrics: prediction with N = %d has %d %s values, want %d", n, s.len, s.name, s.want)
		}
	}
	if p.BaselineDelta != nil && len(p.BaselineDelta) != n {
		return fmt.Errorf("metrics: prediction with N = %d has %d BaselineDelta values, want %d", n, len(p.BaselineDelta), n)
	}
	for k, v := range p.AdjProbs {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("metrics: AdjProbs[%d][%d] = %g is not a probability in [0, 1] (pass sigmoid(adj_logits), not the logits)", k/n, k%n, v)
		}
	}
	for k, v := range p.TrueAdj {
		if k/n != k%n && v != 0 && v != 1 {
			return fmt.Errorf("metrics: TrueAdj[%d][%d] = %g, want 0 or 1", k/n, k%n, v)
		}
	}
	return nil
}

// Report summarises an Accumulator. Metrics that are undefined (no graphs,
// only one class, no baseline deltas) are NaN, and null in JSON; json.Marshal
// of a Report never fails.
type Report struct {
	// Graphs is the number of predictions scored.
	Graphs int `json:"graphs"`
	// Threshold is the edge probability threshold (EdgeThreshold).
	Threshold float64 `json:"threshold"`
	// TrueEdges is the mean number of true edges per graph.
	TrueEdges float64 `json:"true_edges"`
	// Structure scores the model's edge probabilities.
	Structure Structure `json:"structure"`
	// Delta scores the model's delta.
	Delta Delta `json:"delta"`
	// EmptyGraph scores the baseline that predicts no edge (probability 0
	// everywhere): SHD is the number of true edges, precision, recall and F1
	// are 0, AUROC is 0.5 (all scores tie) and AUPRC is the fraction of
	// pairs that are edges.
	EmptyGraph Structure `json:"empty_graph"`
	// MeanShift scores the mean-shift baseline's delta (NaN if no
	// prediction carried BaselineDelta).
	MeanShift Delta `json:"mean_shift"`
}

// Structure holds the metrics of predicted edges.
type Structure struct {
	// SHD is the mean structural Hamming distance per graph.
	SHD float64 `json:"shd"`
	// AUROC is pooled over the off-diagonal entries of all graphs (the
	// headline).
	AUROC float64 `json:"auroc"`
	// AUROCPerGraph is the mean AUROC over graphs where it is defined.
	AUROCPerGraph float64 `json:"auroc_per_graph"`
	// AUPRC is the average precision pooled over all graphs (the headline).
	AUPRC float64 `json:"auprc"`
	// AUPRCPerGraph is the mean average precision over graphs with at least
	// one edge.
	AUPRCPerGraph float64 `json:"auprc_per_graph"`
	// Precision at the threshold, pooled over all graphs.
	Precision float64 `json:"precision"`
	// Recall at the threshold, pooled over all graphs.
	Recall float64 `json:"recall"`
	// F1 at the threshold, pooled over all graphs.
	F1 float64 `json:"f1"`
	// Edges is the mean number of predicted edges per graph.
	Edges float64 `json:"edges"`
}

// Delta holds the metrics of predicted deltas, over all variables of all
// predictions.
type Delta struct {
	// MSE is the mean squared error.
	MSE float64 `json:"mse"`
	// Huber is the mean Huber loss with δ = HuberDelta.
	Huber float64 `json:"huber"`
}

// Report summarises the predictions added so far.
func (a *Accumulator) Report() Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	g := float64(a.graphs)
	r := Report{
		Graphs:    a.graphs,
		Threshold: EdgeThreshold,
		TrueEdges: float64(a.trueEdges) / g,
	}

	ps := make([]scored, len(a.scores))
	for i, s := range a.scores {
		ps[i] = scored{float64(s), a.labels[i]}
	}
	auc, _ := auroc(ps, a.trueEdges)
	ap, _ := auprc(ps, a.trueEdges)
	prec, rec, f1 := a.conf.prf()
	r.Structure = Structure{
		SHD:           float64(a.model.shd) / g,
		AUROC:         auc,
		AUROCPerGraph: a.model.aurocSum / float64(a.model.aurocN),
		AUPRC:         ap,
		AUPRCPerGraph: a.model.auprcSum / float64(a.model.auprcN),
		Precision:     prec,
		Recall:        rec,
		F1:            f1,
		Edges:         float64(a.model.edges) / g,
	}

	// The empty graph's scores all tie at 0.
	emptyAUC, emptyAP := math.NaN(), math.NaN()
	if a.trueEdges > 0 {
		emptyAP = float64(a.trueEdges) / float64(len(a.labels))
		if a.trueEdges < len(a.labels) {
			emptyAUC = 0.5
		}
	}
	var emptyPRF float64
	if a.graphs == 0 {
		emptyPRF = math.NaN()
	}
	r.EmptyGraph = Structure{
		SHD:           float64(a.empty.shd) / g,
		AUROC:         emptyAUC,
		AUROCPerGraph: a.empty.aurocSum / float64(a.empty.aurocN),
		AUPRC:         emptyAP,
		AUPRCPerGraph: a.empty.auprcSum / float64(a.empty.auprcN),
		Precision:     emptyPRF,
		Recall:        emptyPRF,
		F1:            emptyPRF,
		Edges:         float64(a.empty.edges) / g,
	}
	if a.graphs == 0 {
		r.Structure.Precision, r.Structure.Recall, r.Structure.F1 = math.NaN(), math.NaN(), math.NaN()
	}

	r.Delta = Delta{MSE: a.deltaSq / float64(a.deltaN), Huber: a.deltaHuber / float64(a.deltaN)}
	r.MeanShift = Delta{MSE: a.baseSq / float64(a.baseN), Huber: a.baseHuber / float64(a.baseN)}
	return r
}

// WriteTable writes the report as an aligned text table: one row per
// metric, one column each for the model, the empty graph and the mean
// shift. "—" marks a metric that does not apply to a column, "n/a" one that
// is undefined.
func (r Report) WriteTable(w io.Writer) error {
	const na = "—"
	f := func(prec int) func(float64) string {
		return func(x float64) string {
			if math.IsNaN(x) {
				return "n/a"
			}
			return strconv.FormatFloat(x, 'f', prec, 64)
		}
	}
	count, prob, delta := f(2), f(4), f(4)
	rows := []struct {
		name                   string
		model, empty, baseline string
	}{
		{"SHD", count(r.Structure.SHD), count(r.EmptyGraph.SHD), na},
		{"AUROC", prob(r.Structure.AUROC), prob(r.EmptyGraph.AUROC), na},
		{"AUROC per graph", prob(r.Structure.AUROCPerGraph), prob(r.EmptyGraph.AUROCPerGraph), na},
		{"AUPRC", prob(r.Structure.AUPRC), prob(r.EmptyGraph.AUPRC), na},
		{"AUPRC per graph", prob(r.Structure.AUPRCPerGraph), prob(r.EmptyGraph.AUPRCPerGraph), na},
		{"precision", prob(r.Structure.Precision), prob(r.EmptyGraph.Precision), na},
		{"recall", prob(r.Structure.Recall), prob(r.EmptyGraph.Recall), na},
		{"F1", prob(r.Structure.F1), prob(r.EmptyGraph.F1), na},
		{"edges per graph", count(r.Structure.Edges), count(r.EmptyGraph.Edges), na},
		{"delta MSE", delta(r.Delta.MSE), na, delta(r.MeanShift.MSE)},
		{"delta Huber", delta(r.Delta.Huber), na, delta(r.MeanShift.Huber)},
	}
	_, err := fmt.Fprintf(w, "graphs: %d, true edges per graph: %s, edge threshold: %g\n",
		r.Graphs, count(r.TrueEdges), r.Threshold)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "%-16s %12s %12s %12s\n", "metric", "model", "empty graph", "mean shift"); err != nil {
		return err
	}
	for _, row := range rows {
		if _, err := fmt.Fprintf(w, "%-16s %12s %12s %12s\n", row.name, row.model, row.empty, row.baseline); err != nil {
			return err
		}
	}
	return nil
}

// MarshalJSON encodes r with the keys of its JSON tags, undefined (NaN)
// values as null.
func (r Report) MarshalJSON() ([]byte, error) { return marshalFields(r) }

// UnmarshalJSON decodes what MarshalJSON encodes; null and missing metrics
// become NaN.
func (r *Report) UnmarshalJSON(b []byte) error { return unmarshalFields(b, r) }

// MarshalJSON encodes s with the keys of its JSON tags, undefined (NaN)
// values as null.
func (s Structure) MarshalJSON() ([]byte, error) { return marshalFields(s) }

// UnmarshalJSON decodes what MarshalJSON encodes; null and missing values
// become NaN.
func (s *Structure) UnmarshalJSON(b []byte) error { return unmarshalFields(b, s) }

// MarshalJSON encodes d with the keys of its JSON tags, undefined (NaN)
// values as null.
func (d Delta) MarshalJSON() ([]byte, error) { return marshalFields(d) }

// UnmarshalJSON decodes what MarshalJSON encodes; null and missing values
// become NaN.
func (d *Delta) UnmarshalJSON(b []byte) error { return unmarshalFields(b, d) }

// marshalFields encodes the struct v as a JSON object keyed by the json tags
// of its fields, in field order, writing NaN and infinite float64 fields as
// null (encoding/json refuses them). Other fields use encoding/json.
func marshalFields(v any) ([]byte, error) {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	var b bytes.Buffer
	b.WriteByte('{')
	for i := range rt.NumField() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(jsonName(rt.Field(i))))
		b.WriteByte(':')
		fv := rv.Field(i)
		if fv.Kind() == reflect.Float64 {
			x := fv.Float()
			if math.IsNaN(x) || math.IsInf(x, 0) {
				b.WriteString("null")
				continue
			}
		}
		e, err := json.Marshal(fv.Interface())
		if err != nil {
			return nil, err
		}
		b.Write(e)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// unmarshalFields decodes a JSON object into the struct that ptr points to,
// by the json tags of its fields. A float64 field that is null or missing
// becomes NaN.
func unmarshalFields(data []byte, ptr any) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	rv := reflect.ValueOf(ptr).Elem()
	rt := rv.Type()
	for i := range rt.NumField() {
		name := jsonName(rt.Field(i))
		fv := rv.Field(i)
		raw, ok := m[name]
		if fv.Kind() == reflect.Float64 && (!ok || string(raw) == "null") {
			fv.SetFloat(math.NaN())
			continue
		}
		if !ok {
			fv.SetZero()
			continue
		}
		if err := json.Unmarshal(raw, fv.Addr().Interface()); err != nil {
			return fmt.Errorf("metrics: %s: %w", name, err)
		}
	}
	return nil
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}
