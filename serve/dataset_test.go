package serve

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"

	"causeway/api"
	"causeway/contract"
	"causeway/model/modeltest"
	"causeway/onnxrt"
)

// dataSetServer serves model-a (the default) and a small data-set model
// model-f.
func dataSetServer(t *testing.T) (*Server, *onnxrt.Model) {
	t.Helper()
	c := modeltest.SmallDataSetConfig()
	c.MaxNodes = testMaxNodes
	f, err := onnxrt.LoadBytes("", exportBytes(t, c, "model-f", 4))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := testModels(t)
	return newTestServer(t, Config{Models: []*onnxrt.Model{a, f}}), f
}

// dataRequest is a valid data-set request: 60 rows of n variables, the last
// 20 under do(x1 = 4), asking for do(x0 = 2).
func dataRequest(n int) *api.DataRequest {
	d := modeltest.RandomDataSet(3, 1, n, 1, modeltest.Observational)
	r := &api.DataRequest{Data: api.DataSet{Rows: make([][]float64, d.R), Intervened: make([][]api.Node, d.R)}}
	for i := range d.R {
		row := make([]float64, n)
		for j := range n {
			row[j] = float64(d.Samples[i*n+j])
		}
		if i >= d.R-20 {
			row[1] = 4
			r.Data.Intervened[i] = []api.Node{{Index: -1, Name: "x1"}}
		}
		r.Data.Rows[i] = row
	}
	r.Do = []api.Do{{Variable: api.Node{Index: 0}, Value: 2}}
	return r
}

func TestPredictDataSet(t *testing.T) {
	s, f := dataSetServer(t)
	r := dataRequest(5)
	w := do(t, s, http.MethodPost, "/predict", mustJSON(t, r))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp api.DataResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Model != "model-f" || len(resp.Adjacency) != 5 || len(resp.Effects) != 2 {
		t.Fatalf("response %+v: want model-f, 5×5 adjacency, 2 effects (the do and the data's block)", resp)
	}
	if e := resp.Effects[1]; e.Intervened != "x1" || e.Value != 4 || !e.InData || e.Rows != 20 || len(e.Observed) != 5 {
		t.Errorf("the data's own intervention: %+v", e)
	}
	if e := resp.Effects[0]; e.Intervened != "x0" || e.InData || e.Observed != nil {
		t.Errorf("the queried intervention: %+v", e)
	}
	// The same answer as the executor on the same tensors.
	want, err := api.PredictData(t.Context(), f, r)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Effects {
		for j, v := range want.Effects[i].Delta {
			if math.Abs(float64(v-resp.Effects[i].Delta[j])) > 1e-6 {
				t.Fatalf("effect %d differs from api.PredictData", i)
			}
		}
	}
}

func TestPredictDataSetDAGIsAcyclic(t *testing.T) {
	s, _ := dataSetServer(t)
	r := dataRequest(6)
	lo := 0.01
	r.Threshold, r.DAG = &lo, true
	w := do(t, s, http.MethodPost, "/predict", mustJSON(t, r))
	var resp api.DataResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	if !resp.DAG || len(resp.Edges) == 0 {
		t.Fatalf("dag %t with %d edges (threshold 0.01 on a fresh model keeps many)", resp.DAG, len(resp.Edges))
	}
	assertAcyclic(t, resp.Edges, resp.Variables)
}

func assertAcyclic(t *testing.T, edges []api.Edge, vars []string) {
	t.Helper()
	idx := map[string]int{}
	for i, v := range vars {
		idx[v] = i
	}
	n := len(vars)
	indeg := make([]int, n)
	children := make([][]int, n)
	for _, e := range edges {
		children[idx[e.From]] = append(children[idx[e.From]], idx[e.To])
		indeg[idx[e.To]]++
	}
	var queue []int
	for i, d := range indeg {
		if d == 0 {
			queue = append(queue, i)
		}
	}
	seen := 0
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		seen++
		for _, c := range children[v] {
			if indeg[c]--; indeg[c] == 0 {
				queue = append(queue, c)
			}
		}
	}
	if seen != n {
		t.Fatalf("edges %v hold a cycle", edges)
	}
}

func TestPredictDataSetBadInput(t *testing.T) {
	s, _ := dataSetServer(t)
	cases := []struct {
		name, want string
		edit       func(r *api.DataRequest)
	}{
		{"no rows", "data.rows", func(r *api.DataRequest) { r.Data.Rows, r.Data.Intervened = nil, nil }},
		{"one row", "at least 2", func(r *api.DataRequest) { r.Data.Rows, r.Data.Intervened = r.Data.Rows[:1], r.Data.Intervened[:1] }},
		{"no variables", "no values", func(r *api.DataRequest) { r.Data.Rows[0] = []float64{} }},
		{"ragged", "data.rows[3]", func(r *api.DataRequest) { r.Data.Rows[3] = r.Data.Rows[3][:2] }},
		{"unknown intervened name", "names no variable", func(r *api.DataRequest) { r.Data.Intervened[0] = []api.Node{{Index: -1, Name: "zz"}} }},
		{"intervened index out of range", "out of range", func(r *api.DataRequest) { r.Data.Intervened[0] = []api.Node{{Index: 9}} }},
		{"unknown do variable", "do[0].variable", func(r *api.DataRequest) { r.Do[0].Variable = api.Node{Index: -1, Name: "nope"} }},
		{"too many variables", "max_nodes", func(r *api.DataRequest) {
			for i := range r.Data.Rows {
				r.Data.Rows[i] = append(r.Data.Rows[i], make([]float64, testMaxNodes)...)
			}
		}},
		{"bad threshold", "threshold", func(r *api.DataRequest) { x := 1.5; r.Threshold = &x }},
		{"intervened length", "data.intervened", func(r *api.DataRequest) { r.Data.Intervened = r.Data.Intervened[1:] }},
		{"pair model", "takes sample pairs", func(r *api.DataRequest) { r.Model = "model-a" }},
		{"unknown model", "unknown model", func(r *api.DataRequest) { r.Model = "model-zz" }},
	}
	for _, tc := range cases {
		r := dataRequest(5)
		tc.edit(r)
		w := do(t, s, http.MethodPost, "/predict", mustJSON(t, r))
		if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: status %d %s, want 400 naming %q", tc.name, w.Code, w.Body, tc.want)
		}
	}
	for name, body := range map[string]string{
		"null in rows": `{"data": {"rows": [[1, null], [2, 3]]}}`,
		"NaN-ish":      `{"data": {"rows": [[1, 1e999], [2, 3]]}}`,
		"unknown key":  `{"data": {"rows": [[1, 2], [2, 3]]}, "extra": 1}`,
	} {
		w := do(t, s, http.MethodPost, "/predict", []byte(body))
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d %s, want 400", name, w.Code, w.Body)
		}
	}
}

func TestInferDataSet(t *testing.T) {
	s, f := dataSetServer(t)
	d := modeltest.RandomDataSet(9, 2, 4, 3, modeltest.Mixed)
	f64 := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	req := &api.InferRequest{Inputs: []api.InferInput{
		{Name: contract.Samples, Datatype: "FP32", Shape: []int{d.B, d.R, d.N}, Data: f64(d.Samples)},
		{Name: contract.Intervened, Datatype: "FP32", Shape: []int{d.B, d.R, d.N}, Data: f64(d.Intervened)},
		{Name: contract.QueryMask, Datatype: "FP32", Shape: []int{d.B, d.Q, d.N}, Data: f64(d.QueryMask)},
		{Name: contract.QueryValue, Datatype: "FP32", Shape: []int{d.B, d.Q}, Data: f64(d.QueryValue)},
	}}
	w := do(t, s, http.MethodPost, "/v2/models/model-f/infer", mustJSON(t, req))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var resp api.InferResponse
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	want, err := f.RunDataSet(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Outputs) != 2 || resp.Outputs[1].Name != contract.Effect || len(resp.Outputs[1].Data) != len(want.Effect) {
		t.Fatalf("outputs %+v", resp.Outputs)
	}
	for i, v := range want.Effect {
		if float32(resp.Outputs[1].Data[i]) != v {
			t.Fatalf("effect[%d] = %v, executor %v", i, resp.Outputs[1].Data[i], v)
		}
	}
	// A sample-pair tensor sent to the data-set model names the contract.
	w = do(t, s, http.MethodPost, "/v2/models/model-f/infer", mustJSON(t, validInfer(1, 1, 4, 4)))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "samples, intervened") {
		t.Errorf("pair tensors to model-f: %d %s", w.Code, w.Body)
	}
	// The model's metadata lists the data-set contract.
	w = do(t, s, http.MethodGet, "/v2/models/model-f", nil)
	if !strings.Contains(w.Body.String(), `"query_mask"`) {
		t.Errorf("metadata %s lacks the data-set inputs", w.Body)
	}

}

// TestDataSetWorkingMemoryCountsQueries: a data-set request's working
// memory grows with its queries (do() and the data's own interventions on
// /predict, Q on OIP), so with --max-work just above what Q=2 needs, the
// same rows with 64 queries get 413 naming the limit, the flag and Q.
func TestDataSetWorkingMemoryCountsQueries(t *testing.T) {
	_, f := dataSetServer(t)
	a, _ := testModels(t)
	const n = 5
	small := dataRequest(n) // one do() and the data's one block: Q=2
	rows := len(small.Data.Rows)
	if q := small.Queries(); q != 2 {
		t.Fatalf("Queries() = %d, want 2", q)
	}
	limit := f.WorkingBytes(1, rows, n, 2)
	if f.WorkingBytes(1, rows, n, 64) <= limit {
		t.Fatalf("WorkingBytes does not grow with Q: %d at Q=2 and Q=64", limit)
	}
	s := newTestServer(t, Config{Models: []*onnxrt.Model{a, f}, MaxWorkBytes: limit})
	big := dataRequest(n)
	for i := range 62 {
		big.Do = append(big.Do, api.Do{Variable: api.Node{Index: i % n}, Value: float64(i)})
	}
	infer := func(q int) *api.InferRequest {
		d := modeltest.RandomDataSet(9, 1, n, q, modeltest.Mixed)
		d.R = min(d.R, rows)
		return dataSetInfer(d)
	}
	cases := []struct {
		name, path string
		body       any
		want       int
	}{
		{"predict Q=2", "/predict", small, http.StatusOK},
		{"predict Q=64", "/predict", big, http.StatusRequestEntityTooLarge},
		{"infer Q=2", "/v2/models/model-f/infer", infer(2), http.StatusOK},
		{"infer Q=64", "/v2/models/model-f/infer", infer(64), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		w := do(t, s, http.MethodPost, tc.path, mustJSON(t, tc.body))
		if w.Code != tc.want {
			t.Errorf("%s: status %d, want %d: %s", tc.name, w.Code, tc.want, w.Body)
			continue
		}
		if tc.want == http.StatusRequestEntityTooLarge {
			for _, s := range []string{"--max-work", "Q=64", formatBytes(limit)} {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("%s: 413 %s does not name %q", tc.name, w.Body, s)
				}
			}
		}
	}
}

// dataSetInfer is an OIP request carrying d's first d.R rows.
func dataSetInfer(d *contract.DataSet) *api.InferRequest {
	f64 := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	rn := d.R * d.N
	return &api.InferRequest{Inputs: []api.InferInput{
		{Name: contract.Samples, Datatype: "FP32", Shape: []int{1, d.R, d.N}, Data: f64(d.Samples[:rn])},
		{Name: contract.Intervened, Datatype: "FP32", Shape: []int{1, d.R, d.N}, Data: f64(d.Intervened[:rn])},
		{Name: contract.QueryMask, Datatype: "FP32", Shape: []int{1, d.Q, d.N}, Data: f64(d.QueryMask)},
		{Name: contract.QueryValue, Datatype: "FP32", Shape: []int{1, d.Q}, Data: f64(d.QueryValue)},
	}}
}
