package api

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"causeway/contract"
	"causeway/internal/jsonscan"
	"causeway/onnxrt"
	"causeway/scm"
)

// DataRequest asks a data-set model (Model F) about a whole data set: the
// graph from every row jointly, and the effects of interventions, whether
// the data ran them or not.
//
//	{
//	  "data": {
//	    "variables": ["x0", "x1", "x2"],            // optional: x0..x{N-1}
//	    "rows": [[0.1, 1.2, -0.3], [5, 6.1, 2.2]],  // R rows of N values
//	    "intervened": [[], ["x0"]]                  // optional: per row, the variables
//	  },                                            // set by do() (names or indices)
//	  "do": [{"variable": "x1", "value": 3}],       // optional: effects to predict
//	  "threshold": 0.5,                             // optional
//	  "dag": true                                   // optional: acyclic edges
//	}
//
// Rows without intervened variables are observational; data with no
// interventions at all are valid. The response holds effects for every
// "do" and for every distinct intervention of the data.
type DataRequest struct {
	Model     string   `json:"model,omitempty"`
	Data      DataSet  `json:"data"`
	Do        []Do     `json:"do,omitempty"`
	Threshold *float64 `json:"threshold,omitempty"`
	DAG       bool     `json:"dag,omitempty"`
}

// DataSet is a data set in a DataRequest.
type DataSet struct {
	Variables  []string    `json:"variables,omitempty"`
	Rows       [][]float64 `json:"rows"`
	Intervened [][]Node    `json:"intervened,omitempty"`
}

// UnmarshalJSON reads a DataSet strictly: a null where a number belongs is
// an error naming its row and column (encoding/json would read it as 0).
func (d *DataSet) UnmarshalJSON(b []byte) error {
	var raw struct {
		Variables  []string     `json:"variables"`
		Rows       [][]*float64 `json:"rows"`
		Intervened [][]Node     `json:"intervened"`
	}
	if err := decodeStrict(b, &raw); err != nil {
		return err
	}
	d.Variables, d.Intervened, d.Rows = raw.Variables, raw.Intervened, nil
	if raw.Rows != nil {
		d.Rows = make([][]float64, len(raw.Rows))
	}
	for i, row := range raw.Rows {
		if row == nil {
			return fieldErr(fmt.Sprintf("data.rows[%d]", i), "is null: every row is an array of numbers")
		}
		d.Rows[i] = make([]float64, len(row))
		for j, v := range row {
			if v == nil {
				return fieldErr(fmt.Sprintf("data.rows[%d][%d]", i, j), "is null: every value must be a number")
			}
			d.Rows[i][j] = *v
		}
	}
	return nil
}

// Do is one intervention do(Variable = Value) whose effect is asked for.
type Do struct {
	Variable Node    `json:"variable"`
	Value    float64 `json:"value"`
}

// Effect is the predicted effect of one intervention.
type Effect struct {
	// Intervened and Value name the intervention do(Intervened = Value).
	Intervened string  `json:"intervened"`
	Value      float64 `json:"value"`
	// InData says whether the data ran this intervention (same variable,
	// same value).
	InData bool `json:"in_data"`
	// Delta is the predicted E[X | do] − E[X] for every variable.
	Delta []float32 `json:"delta"`
	// Observed is the sample mean shift of the data's rows under this
	// intervention from the observational mean (null when not in the data).
	Observed []float32 `json:"observed"`
	// Rows is the number of the data's rows under this intervention.
	Rows int `json:"rows"`
}

// DataResponse is a data-set model's answer.
type DataResponse struct {
	Model     string   `json:"model"`
	Variables []string `json:"variables"`
	// Adjacency holds the edge probabilities from all rows jointly ([i][j]
	// is i → j); Edges those above Threshold, most probable first (with
	// DAG, greedily kept acyclic: see AcyclicEdges).
	Adjacency [][]float32 `json:"adjacency"`
	Threshold float64     `json:"threshold"`
	DAG       bool        `json:"dag"`
	Edges     []Edge      `json:"edges"`
	Effects   []Effect    `json:"effects"`
	// EffectsOmitted counts the data's interventions beyond the first
	// MaxDataEffects (in order of appearance) whose effects were not
	// predicted; their rows still inform the graph.
	EffectsOmitted int `json:"effects_omitted,omitempty"`
}

// Bounds of a DataRequest's effects: at most MaxDo asked for, and effects
// for at most MaxDataEffects of the data's own distinct interventions
// (data whose intervention values vary row by row would otherwise ask for
// one effect per row).
const (
	MaxDo          = 256
	MaxDataEffects = 64
)

// DecodeData reads a DataRequest strictly (unknown fields are errors).
func DecodeData(data []byte) (*DataRequest, error) {
	if err := CheckKeys(data, knownKeys); err != nil {
		return nil, err
	}
	var r DataRequest
	if err := decodeStrict(bytes.TrimSpace(data), &r); err != nil {
		if msg := err.Error(); strings.Contains(msg, "unknown field") {
			field, _, _ := strings.Cut(msg[strings.Index(msg, "unknown field"):], " (")
			return nil, fmt.Errorf("data-set request has an %s (known fields: model, data {variables, rows, intervened}, do [{variable, value}], threshold, dag)", field)
		}
		return nil, err
	}
	return &r, nil
}

// IsDataRequest reports whether a JSON body is a DataRequest (it has a
// top-level "data" field) rather than a sample-pair request.
//
// It scans the top-level keys without decoding the values (a /predict body
// is decoded once, by its own decoder); malformed JSON is not a DataRequest
// (the sample-pair decoder then reports what is wrong).
func IsDataRequest(body []byte) bool {
	p := jsonscan.New(body)
	found := false
	ok := p.Object(func(key []byte) bool {
		if string(key) == "data" {
			found = true
		}
		_, ok := p.Skip()
		return ok
	})
	return ok && found
}

// FromDataset turns a data set in the `causeway scm` layout into a
// DataRequest's data.
func FromDataset(d *scm.Dataset) DataSet {
	n := d.N()
	samples, intervened, r := d.Regimes()
	out := DataSet{Variables: d.Names, Rows: make([][]float64, r), Intervened: make([][]Node, r)}
	for i := range r {
		row := make([]float64, n)
		for j := range n {
			row[j] = float64(samples[i*n+j])
			if intervened[i*n+j] == 1 {
				out.Intervened[i] = append(out.Intervened[i], Node{Index: j})
			}
		}
		out.Rows[i] = row
	}
	return out
}

// tensors validates the data set and returns it as samples and intervened
// [R*N] with its labels.
func (d *DataSet) tensors(maxNodes int) (samples, intervened []float32, labels []string, err error) {
	r := len(d.Rows)
	if r == 0 {
		return nil, nil, nil, fieldErr("data.rows", "empty: send at least 2 rows")
	}
	n := len(d.Rows[0])
	switch {
	case n == 0:
		return nil, nil, nil, fieldErr("data.rows[0]", "has no values: every row needs one value per variable")
	case n < 2:
		return nil, nil, nil, fieldErr("data.rows[0]", "has %d value: a graph needs at least 2 variables", n)
	case n > maxNodes:
		return nil, nil, nil, fieldErr("data.rows[0]", "has %d values: the model takes at most max_nodes = %d variables", n, maxNodes)
	case r < 2:
		return nil, nil, nil, fieldErr("data.rows", "has %d row: the statistics need at least 2", r)
	}
	if err := checkMatrix("data.rows", d.Rows, n); err != nil {
		return nil, nil, nil, err
	}
	labels = d.Variables
	if labels == nil {
		labels = scm.VariableNames(n)
	} else if len(labels) != n {
		return nil, nil, nil, fieldErr("data.variables", "has %d names for %d variables", len(labels), n)
	}
	seen := map[string]bool{}
	for i, l := range labels {
		if l == "" || seen[l] {
			return nil, nil, nil, fieldErr(fmt.Sprintf("data.variables[%d]", i), "%q: names must be non-empty and distinct", l)
		}
		seen[l] = true
	}
	if d.Intervened != nil && len(d.Intervened) != r {
		return nil, nil, nil, fieldErr("data.intervened", "has %d entries for %d rows: give one list (possibly empty) per row", len(d.Intervened), r)
	}
	samples, intervened = make([]float32, r*n), make([]float32, r*n)
	for i, row := range d.Rows {
		for j, v := range row {
			samples[i*n+j] = float32(v)
		}
	}
	for i, nodes := range d.Intervened {
		for k, node := range nodes {
			j, err := resolveNode(node, labels)
			if err != nil {
				return nil, nil, nil, fieldErr(fmt.Sprintf("data.intervened[%d][%d]", i, k), "%s", err)
			}
			intervened[i*n+j] = 1
		}
	}
	return samples, intervened, labels, nil
}

// resolveNode returns the index of a variable given by index or name.
func resolveNode(node Node, labels []string) (int, error) {
	if node.Name != "" {
		if i := slices.Index(labels, node.Name); i >= 0 {
			return i, nil
		}
		return 0, fmt.Errorf("%q names no variable (variables: %s)", node.Name, truncate(fmt.Sprint(labels), 200))
	}
	if node.Index < 0 || node.Index >= len(labels) {
		return 0, fmt.Errorf("variable index %d is out of range [0, %d)", node.Index, len(labels))
	}
	return node.Index, nil
}

// query is one intervention whose effect is predicted.
type query struct {
	node  int
	value float32
}

// Queries returns an upper bound on the number of effects (the data-set
// contract's Q) PredictData computes for r, at least 1: its do()
// interventions (at most MaxDo) and the data's distinct single-variable
// interventions (at most MaxDataEffects). It reads r without validating
// it, so that a server can bound a request's working memory
// (onnxrt.Model.WorkingBytes) before converting it; interventions it
// cannot resolve are not counted (PredictData refuses them).
func (r *DataRequest) Queries() int {
	q := min(len(r.Do), MaxDo)
	labels := r.Data.Variables
	if labels == nil && len(r.Data.Rows) > 0 {
		labels = scm.VariableNames(len(r.Data.Rows[0]))
	}
	distinct := map[query]bool{}
	for i, nodes := range r.Data.Intervened {
		if i >= len(r.Data.Rows) || len(distinct) >= MaxDataEffects {
			break
		}
		k, one := -1, true
		for _, node := range nodes {
			j, err := resolveNode(node, labels)
			if err != nil || (k >= 0 && j != k) {
				one = false
				break
			}
			k = j
		}
		if one && k >= 0 && k < len(r.Data.Rows[i]) {
			distinct[query{k, float32(r.Data.Rows[i][k])}] = true
		}
	}
	return max(q+len(distinct), 1)
}

// PredictData validates r, runs the data-set model m on it and builds the
// response: the graph from all rows, and effects for every r.Do and every
// distinct intervention of the data (do() first, in order; then the data's,
// in order of first appearance).
func PredictData(ctx context.Context, m *onnxrt.Model, r *DataRequest) (*DataResponse, error) {
	if !m.DataSet() {
		return nil, fieldErr("data", "model %s (Model %s) takes sample pairs (base_samples, int_samples), not a data set: use a data-set model such as model-f", m.Name(), m.Config().Variant)
	}
	threshold := DefaultThreshold
	if r.Threshold != nil {
		threshold = *r.Threshold
		if !(threshold > 0 && threshold < 1) {
			return nil, fieldErr("threshold", "%g: want a probability in (0, 1)", threshold)
		}
	}
	samples, intervened, labels, err := r.Data.tensors(m.MaxNodes())
	if err != nil {
		return nil, err
	}
	return predictData(ctx, m, samples, intervened, labels, r.Do, threshold, r.DAG)
}

// predictData is PredictData on the data-set contract's tensors samples
// and intervened [R·N] over the variables labels, already checked. Beyond
// them it holds sums for the effects it answers (at most MaxDo +
// MaxDataEffects) and the set of the data's distinct interventions.
func predictData(ctx context.Context, m *onnxrt.Model, samples, intervened []float32, labels []string, dos []Do, threshold float64, dag bool) (*DataResponse, error) {
	n := len(labels)
	rows := len(samples) / n
	if len(dos) > MaxDo {
		return nil, fieldErr("do", "%d interventions: ask for at most %d per request", len(dos), MaxDo)
	}
	var qs []query
	for i, do := range dos {
		j, err := resolveNode(do.Variable, labels)
		if err != nil {
			return nil, fieldErr(fmt.Sprintf("do[%d].variable", i), "%s", err)
		}
		if !finite32(do.Value) {
			return nil, fieldErr(fmt.Sprintf("do[%d].value", i), "%v is not a finite float32", do.Value)
		}
		qs = append(qs, query{j, float32(do.Value)})
	}
	// The data's own interventions: rows with exactly one intervened
	// variable, grouped by (variable, value). Sums are kept for the
	// answered ones only.
	distinct := map[query]bool{}
	observed := map[query][]float64{}
	counts := map[query]int{}
	obsSum, obsRows := make([]float64, n), 0
	asked := map[query]bool{}
	for _, q := range qs {
		asked[q] = true
	}
	omitted := 0
	for i := range rows {
		k, count := -1, 0
		for j := range n {
			if intervened[i*n+j] == 1 {
				k, count = j, count+1
			}
		}
		row := samples[i*n : (i+1)*n]
		switch count {
		case 0:
			obsRows++
			for j, v := range row {
				obsSum[j] += float64(v)
			}
		case 1:
			q := query{k, row[k]}
			if !distinct[q] {
				distinct[q] = true
				switch {
				case asked[q]:
				case len(distinct) > MaxDataEffects:
					omitted++ // its rows still inform the graph
				default:
					qs = append(qs, q)
					asked[q] = true
				}
			}
			if !asked[q] {
				continue
			}
			sum := observed[q]
			if sum == nil {
				sum = make([]float64, n)
				observed[q] = sum
			}
			for j, v := range row {
				sum[j] += float64(v)
			}
			counts[q]++
		}
	}
	dummy := len(qs) == 0
	if dummy {
		qs = append(qs, query{0, 0}) // the model needs Q ≥ 1; dropped below
	}
	d := &contract.DataSet{B: 1, R: rows, N: n, Q: len(qs), Samples: samples, Intervened: intervened,
		QueryMask: make([]float32, len(qs)*n), QueryValue: make([]float32, len(qs))}
	for i, q := range qs {
		d.QueryMask[i*n+q.node] = 1
		d.QueryValue[i] = q.value
	}
	out, err := m.RunDataSet(ctx, d)
	if err != nil {
		return nil, err
	}
	adj := Probabilities(out.AdjLogits, n)
	resp := &DataResponse{Model: m.Name(), Variables: labels, Adjacency: adj, Threshold: threshold, DAG: dag, Effects: []Effect{}, EffectsOmitted: omitted}
	if dag {
		resp.Edges = AcyclicEdges(adj, labels, threshold)
	} else {
		resp.Edges = Edges(adj, labels, threshold)
	}
	if dummy {
		return resp, nil
	}
	for i, q := range qs {
		e := Effect{Intervened: labels[q.node], Value: float64(q.value), Delta: out.Effect[i*n : (i+1)*n : (i+1)*n]}
		if sum, ok := observed[q]; ok && obsRows > 0 {
			e.InData, e.Rows = true, counts[q]
			e.Observed = make([]float32, n)
			for j := range n {
				e.Observed[j] = float32(sum[j]/float64(counts[q]) - obsSum[j]/float64(obsRows))
			}
		} else if ok {
			e.InData, e.Rows = true, counts[q]
		}
		resp.Effects = append(resp.Effects, e)
	}
	return resp, nil
}

// AcyclicEdges lists the pairs of adj above threshold that a greedy
// projection keeps acyclic: pairs in order of decreasing probability (ties
// row-major), each kept unless it would close a directed cycle with the
// edges kept before it. So the result never holds both i → j and j → i,
// nor any cycle.
func AcyclicEdges(adj [][]float32, labels []string, threshold float64) []Edge {
	all := Edges(adj, labels, threshold)
	index := make(map[string]int, len(labels))
	for i, l := range labels {
		index[l] = i
	}
	n := len(labels)
	children := make([][]int, n)
	reaches := func(from, to int) bool { // is there a kept path from → to?
		seen := make([]bool, n)
		stack := []int{from}
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if v == to {
				return true
			}
			for _, c := range children[v] {
				if !seen[c] {
					seen[c] = true
					stack = append(stack, c)
				}
			}
		}
		return false
	}
	kept := all[:0:0]
	for _, e := range all {
		i, j := index[e.From], index[e.To]
		if reaches(j, i) {
			continue
		}
		children[i] = append(children[i], j)
		kept = append(kept, e)
	}
	return kept
}

// ParseDo parses a command-line intervention NAME=VALUE (or INDEX=VALUE).
func ParseDo(s string) (Do, error) {
	eq := -1
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '=' {
			eq = i
			break
		}
	}
	if eq <= 0 || eq == len(s)-1 {
		return Do{}, fmt.Errorf("%q: want VARIABLE=VALUE, e.g. x3=5", s)
	}
	v, err := strconv.ParseFloat(s[eq+1:], 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || !finite32(v) {
		return Do{}, fmt.Errorf("%q: the value %q is not a finite number", s, s[eq+1:])
	}
	name := s[:eq]
	if i, err := strconv.Atoi(name); err == nil {
		return Do{Variable: Node{Index: i}, Value: v}, nil
	}
	return Do{Variable: Node{Index: -1, Name: name}, Value: v}, nil
}
