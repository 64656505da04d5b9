package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"causeway/contract"
	"causeway/export"
	"causeway/model"
	"causeway/model/modeltest"
	"causeway/onnxrt"
	"causeway/onnxrt/onnxrttest"
	"causeway/scm"
)

// testModel exports a small freshly initialised model of variant v.
func testModel(t testing.TB, v model.Variant, maxNodes int) *onnxrt.Model {
	t.Helper()
	c := model.DefaultConfig(v)
	c.DModel, c.FF, c.Layers, c.StructLayers, c.MaxNodes = 16, 32, 1, 1, maxNodes
	c.HyperDim, c.HyperHidden = 4, 8
	return onnxrttest.MustModel(t, c, 5, export.Metadata{Version: "test"})
}

func matrix(rng *rand.Rand, s, n int) [][]float64 {
	m := make([][]float64, s)
	for i := range m {
		m[i] = make([]float64, n)
		for j := range m[i] {
			m[i][j] = rng.NormFloat64() + float64(j)
		}
	}
	return m
}

// validRequest returns a valid request with S rows and N variables.
func validRequest(s, n int) *Request {
	rng := rand.New(rand.NewPCG(uint64(s), uint64(n)))
	return &Request{BaseSamples: matrix(rng, s, n), IntSamples: matrix(rng, s, n), IntervenedNode: &Node{Index: n - 1}}
}

func ptr[T any](v T) *T { return &v }

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(r *Request)
		field string
		want  string
	}{
		{"no base", func(r *Request) { r.BaseSamples = nil }, "base_samples", "missing"},
		{"one row", func(r *Request) { r.BaseSamples = r.BaseSamples[:1] }, "base_samples", "need S ≥ 2 rows"},
		{"one variable", func(r *Request) {
			for i := range r.BaseSamples {
				r.BaseSamples[i] = r.BaseSamples[i][:1]
			}
		}, "base_samples[0]", "need N ≥ 2 variables"},
		{"too many nodes", func(r *Request) {
			for i := range r.BaseSamples {
				r.BaseSamples[i] = append(r.BaseSamples[i], make([]float64, 5)...)
			}
		}, "base_samples[0]", "has 9 variables; the model supports at most max_nodes=8"},
		{"ragged base", func(r *Request) { r.BaseSamples[2] = r.BaseSamples[2][:3] }, "base_samples[2]", "has 3 values, row 0 of base_samples has 4"},
		{"ragged int", func(r *Request) { r.IntSamples[1] = append(r.IntSamples[1], 1) }, "int_samples[1]", "has 5 values"},
		{"NaN", func(r *Request) { r.BaseSamples[1][2] = math.NaN() }, "base_samples[1][2]", "NaN is not a finite float32"},
		{"Inf", func(r *Request) { r.IntSamples[0][0] = math.Inf(1) }, "int_samples[0][0]", "+Inf is not a finite float32"},
		{"float32 overflow", func(r *Request) { r.IntSamples[0][1] = 1e300 }, "int_samples[0][1]", "1e+300 is not a finite float32"},
		{"no int", func(r *Request) { r.IntSamples = nil }, "int_samples", "missing"},
		{"S mismatch", func(r *Request) { r.IntSamples = r.IntSamples[:3] }, "int_samples", "has 3 rows, base_samples 5"},
		{"target length", func(r *Request) { r.TargetRow = []float64{1, 2} }, "target_row", "has 2 values for 4 variables"},
		{"target NaN", func(r *Request) { r.TargetRow = []float64{1, 2, math.NaN(), 4} }, "target_row[2]", "not a finite"},
		{"neither", func(r *Request) { r.IntervenedNode = nil }, "intervened_node", "missing"},
		{"both", func(r *Request) { r.IntMask = []float64{1, 0, 0, 0} }, "intervened_node", "not both"},
		{"index range", func(r *Request) { r.IntervenedNode = &Node{Index: 4} }, "intervened_node", "index 4 is out of range [0, 4)"},
		{"negative index", func(r *Request) { r.IntervenedNode = &Node{Index: -1} }, "intervened_node", "out of range"},
		{"unknown name", func(r *Request) { r.IntervenedNode = &Node{Index: -1, Name: "y"} }, "intervened_node", `"y" is not a variable (without variables the names are x0..x3)`},
		{"unknown listed name", func(r *Request) {
			r.Variables = []string{"a", "b", "c", "d"}
			r.IntervenedNode = &Node{Index: -1, Name: "x1"}
		}, "intervened_node", `"x1" is not in variables`},
		{"mask not one-hot", func(r *Request) { r.IntervenedNode, r.IntMask = nil, []float64{1, 0, 1, 0} }, "int_mask", "has 2 ones"},
		{"mask zero", func(r *Request) { r.IntervenedNode, r.IntMask = nil, []float64{0, 0, 0, 0} }, "int_mask", "has 0 ones"},
		{"mask value", func(r *Request) { r.IntervenedNode, r.IntMask = nil, []float64{0, 0.5, 0, 0} }, "int_mask[1]", "is 0.5"},
		{"mask length", func(r *Request) { r.IntervenedNode, r.IntMask = nil, []float64{0, 1} }, "int_mask", "has 2 values for 4 variables"},
		{"variables count", func(r *Request) { r.Variables = []string{"a", "b"} }, "variables", "has 2 names for 4 variables"},
		{"duplicate variable", func(r *Request) { r.Variables = []string{"a", "b", "a", "c"} }, "variables[2]", `"a" repeats variables[0]`},
		{"empty variable", func(r *Request) { r.Variables = []string{"a", " ", "b", "c"} }, "variables[1]", "empty name"},
		{"threshold 0", func(r *Request) { r.Threshold = ptr(0.0) }, "threshold", "want a probability in (0, 1)"},
		{"threshold 1", func(r *Request) { r.Threshold = ptr(1.0) }, "threshold", "is 1"},
		{"threshold NaN", func(r *Request) { r.Threshold = ptr(math.NaN()) }, "threshold", "is NaN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := validRequest(5, 4)
			tc.edit(r)
			err := r.Validate(8)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.Field != tc.field || !strings.Contains(e.Problem, tc.want) {
				t.Fatalf("error %q, want field %q and a problem containing %q", err, tc.field, tc.want)
			}
		})
	}
	if err := validRequest(5, 4).Validate(8); err != nil {
		t.Fatal(err)
	}
}

func TestDecode(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{`[1, 2]`, "request is not a JSON object"},
		{`{"base_samples": [[1, 2]], "intervened": 1}`, `unknown field "intervened"`},
		{`{"base_samples": "x"}`, "base_samples: got a JSON string, want an array of arrays of numbers"},
		{`{"base_samples": [[1, "a"]]}`, "base_samples: got a JSON string"},
		{`{"threshold": "high"}`, "threshold: got a JSON string, want a number"},
		{`{"intervened_node": 1.5}`, "intervened_node: 1.5 is not a variable index"},
		{`{"intervened_node": ""}`, "intervened_node: empty variable name"},
		{`{"intervened_node": true}`, "intervened_node: true is not a variable index"},
		{`{"intervened_node": 1e300}`, "intervened_node: 1e300 is not a variable index"},
		{`{"base_samples": [[1, 2]]} {}`, "trailing data"},
		{`{"instances": []}`, "instances: empty"},
		{`{"instances": [{"bogus": 1}]}`, `unknown field "bogus"`},
	} {
		_, _, err := Decode(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.in, err, tc.want)
		}
	}
	r, b, err := Decode(strings.NewReader(`{"base_samples": [[1, 2], [3, 4]], "int_samples": [[5, 2], [5, 4]], "intervened_node": "x0"}`))
	if err != nil || b != nil || r.IntervenedNode.Name != "x0" {
		t.Fatalf("%+v %+v %v", r, b, err)
	}
	if err := r.Validate(0); err != nil {
		t.Fatal(err)
	}
	r, _, err = Decode(strings.NewReader(`{"intervened_node": 1.0}`))
	if err != nil || r.IntervenedNode.Index != 1 {
		t.Fatalf("1.0: %+v %v", r, err)
	}
	_, b, err = Decode(strings.NewReader(`{"instances": [{"base_samples": [[1, 2]]}, {}]}`))
	if err != nil || len(b.Instances) != 2 {
		t.Fatalf("%+v %v", b, err)
	}
}

func TestInputs(t *testing.T) {
	r := &Request{
		BaseSamples:    [][]float64{{1, 10}, {3, 20}},
		IntSamples:     [][]float64{{5, 11}, {5, 21}},
		IntervenedNode: &Node{Index: -1, Name: "b"},
		Variables:      []string{"a", "b"},
	}
	in, err := r.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	want := contract.Pairs{B: 1, S: 2, N: 2, Base: []float32{1, 10, 3, 20}, Int: []float32{5, 11, 5, 21},
		Target: []float32{2, 15}, Mask: []float32{0, 1}}
	if got, _ := json.Marshal(in); string(got) != mustJSON(want) {
		t.Errorf("inputs %s, want %s", got, mustJSON(want))
	}
	r.TargetRow = []float64{7, 8}
	r.IntervenedNode, r.IntMask = nil, []float64{1, 0}
	in, _ = r.Inputs()
	if in.Target[0] != 7 || in.Target[1] != 8 || in.Mask[0] != 1 || in.Mask[1] != 0 {
		t.Errorf("target %v mask %v", in.Target, in.Mask)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// checkResponse asserts the response invariants.
func checkResponse(t *testing.T, r *Response, n int, threshold float64) {
	t.Helper()
	if len(r.Delta) != n || len(r.Adjacency) != n || len(r.Variables) != n {
		t.Fatalf("delta %d, adjacency %d rows, variables %d; want %d", len(r.Delta), len(r.Adjacency), len(r.Variables), n)
	}
	for i, row := range r.Adjacency {
		if len(row) != n {
			t.Fatalf("adjacency row %d has %d entries", i, len(row))
		}
		for j, p := range row {
			if (i == j && p != 0) || !(p >= 0 && p <= 1) {
				t.Fatalf("adjacency[%d][%d] = %g", i, j, p)
			}
		}
	}
	for k, e := range r.Edges {
		if float64(e.Probability) <= threshold || (k > 0 && e.Probability > r.Edges[k-1].Probability) || e.From == e.To {
			t.Fatalf("edges not above %g, sorted and off-diagonal: %+v", threshold, r.Edges)
		}
	}
}

func TestPredict(t *testing.T) {
	m := testModel(t, model.VariantD, 8)
	r := validRequest(6, 5)
	r.Variables = []string{"a", "b", "c", "d", "e"}
	r.Threshold = ptr(0.3)
	resp, err := Predict(context.Background(), m, r)
	if err != nil {
		t.Fatal(err)
	}
	checkResponse(t, resp, 5, 0.3)
	if resp.Model != "model-d" || resp.Variables[4] != "e" || resp.Threshold != 0.3 {
		t.Errorf("model %q variables %v threshold %g", resp.Model, resp.Variables, resp.Threshold)
	}
	for _, e := range resp.Edges {
		if !strings.Contains("abcde", e.From) || !strings.Contains("abcde", e.To) {
			t.Errorf("edge %+v not labelled with variables", e)
		}
	}
	big := validRequest(6, 9)
	if _, err := Predict(context.Background(), m, big); err == nil || !strings.Contains(err.Error(), "max_nodes=8") {
		t.Errorf("N=9 on max_nodes=8: %v", err)
	}
}

// TestPredictBatch checks that batched instances (two shapes, grouped)
// answer exactly as single requests.
func TestPredictBatch(t *testing.T) {
	m := testModel(t, model.VariantA, 8)
	var b BatchRequest
	for i := 0; i < 5; i++ {
		r := validRequest(4+i%2, 3+i%2)
		b.Instances = append(b.Instances, *r)
	}
	resp, err := PredictBatch(context.Background(), m, &b)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b.Instances {
		one, err := Predict(context.Background(), m, &b.Instances[i])
		if err != nil {
			t.Fatal(err)
		}
		// Equal up to float32 rounding: BLAS blocks a batch differently.
		got := resp.Predictions[i]
		var worst float64
		for j := range one.Delta {
			worst = math.Max(worst, math.Abs(float64(one.Delta[j]-got.Delta[j])))
			for k := range one.Adjacency[j] {
				worst = math.Max(worst, math.Abs(float64(one.Adjacency[j][k]-got.Adjacency[j][k])))
			}
		}
		if worst > 1e-5 || len(one.Edges) != len(got.Edges) {
			t.Errorf("instance %d: batch %s, single %s", i, mustJSON(got), mustJSON(one))
		}
	}
	b.Instances[3].IntSamples = nil
	if _, err := PredictBatch(context.Background(), m, &b); err == nil || err.Error() != "instances[3].int_samples: missing: send 5 rows of 4 values sampled under the intervention" {
		t.Errorf("error %v", err)
	}
}

func TestPredictDataset(t *testing.T) {
	m := testModel(t, model.VariantE, 8)
	cfg := scm.DefaultConfig()
	cfg.Nodes, cfg.Samples = 5, 30
	d, err := scm.NewDataset(cfg, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := scm.WriteCSV(&buf, d); err != nil {
		t.Fatal(err)
	}
	d, err = scm.ReadCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	res, err := PredictDataset(context.Background(), m, d, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Predictions) != len(d.Blocks) || res.Threshold != DefaultThreshold {
		t.Fatalf("%d predictions for %d blocks", len(res.Predictions), len(d.Blocks))
	}
	for _, p := range res.Predictions {
		checkResponse(t, &Response{Variables: d.Names, Delta: p.Delta, Adjacency: p.Adjacency, Edges: p.Edges}, 5, 0.5)
		if p.Rows != 30 {
			t.Errorf("rows %d", p.Rows)
		}
	}
	checkResponse(t, &Response{Variables: d.Names, Delta: make([]float32, 5), Adjacency: res.AdjacencyMean, Edges: res.EdgesMean}, 5, 0.5)

	noBlocks := *d
	noBlocks.Blocks = nil
	if _, err := PredictDataset(context.Background(), m, &noBlocks, 0); err == nil || !strings.Contains(err.Error(), "no interventional rows") {
		t.Errorf("no blocks: %v", err)
	}
	cfg.Nodes = 9
	wide, _ := scm.NewDataset(cfg, 3, 0)
	if _, err := PredictDataset(context.Background(), m, wide, 0); err == nil || !strings.Contains(err.Error(), "data has 9 variables; model model-e supports at most max_nodes=8") {
		t.Errorf("too wide: %v", err)
	}
}

// FuzzDecodeValidate feeds arbitrary bytes through decoding, validation
// and conversion: they must never panic, and what validates must convert.
func FuzzDecodeValidate(f *testing.F) {
	f.Add([]byte(`{"base_samples": [[1, 2], [3, 4]], "int_samples": [[5, 2], [5, 4]], "intervened_node": 0}`))
	f.Add([]byte(`{"base_samples": [[1, 2], [3, 4]], "int_samples": [[5, 2], [5, 4]], "int_mask": [0, 1], "target_row": [1, 1], "variables": ["a", "b"], "threshold": 0.2}`))
	f.Add([]byte(`{"instances": [{"base_samples": [[1, 2], [3]], "intervened_node": "x9"}]}`))
	f.Add([]byte(`{"base_samples": [[1e39, 2], [3, 4]], "int_samples": [], "intervened_node": -3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, b, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		reqs := []Request{}
		if r != nil {
			reqs = append(reqs, *r)
		} else {
			reqs = b.Instances
		}
		for i := range reqs {
			if err := reqs[i].Validate(50); err != nil {
				continue
			}
			in, err := reqs[i].Inputs()
			if err != nil {
				t.Fatalf("validated request does not convert: %v", err)
			}
			if len(in.Base) != in.S*in.N || len(in.Mask) != in.N {
				t.Fatalf("inputs %+v", in)
			}
			NewResponse("m", &reqs[i], make([]float32, in.N), make([]float32, in.N*in.N))
		}
	})
}

func TestFormat(t *testing.T) {
	v := map[string]any{"a": [][]float32{{0, 0.5}, {1, 0}}, "b": []string{"x<y", "z"}, "c": []any{}, "d": map[string]int{}, "e": []Edge{{"x", "y", 0.75}}}
	got, err := Format(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "a": [
    [0, 0.5],
    [1, 0]
  ],
  "b": ["x<y", "z"],
  "c": [],
  "d": {},
  "e": [
    {"from": "x", "to": "y", "probability": 0.75}
  ]
}
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	var back map[string]any
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
}

// TestDecodeRejectsStrayClosers guards the trailing-data check: a stray
// '}' or ']' after the object is not "more" to json.Decoder but is not
// a valid request either.
func TestDecodeRejectsStrayClosers(t *testing.T) {
	for _, tail := range []string{"}", "]", " }", "{}"} {
		body := `{"base_samples": [[0, 1], [1, 0]], "int_samples": [[5, 1], [5, 2]], "intervened_node": 0}` + tail
		if _, _, err := Decode(strings.NewReader(body)); err == nil || !strings.Contains(err.Error(), "trailing data") {
			t.Errorf("tail %q: err = %v, want trailing data", tail, err)
		}
	}
}

func TestEdges(t *testing.T) {
	adj := [][]float32{
		{0.9, 0.6, 0.7},
		{0.7, 0, 0.5},
		{0.95, 0.6, 0.2},
	}
	labels := []string{"a", "b", "c"}
	tests := []struct {
		threshold float64
		want      string
	}{
		// Most probable first; ties (0.7, 0.6) in row-major order; the
		// diagonal never; the threshold is exclusive (0.5 is not above 0.5).
		{0.5, "c>a:0.95 a>c:0.7 b>a:0.7 a>b:0.6 c>b:0.6"},
		{0.65, "c>a:0.95 a>c:0.7 b>a:0.7"},
		{0.95, ""},
	}
	for _, tc := range tests {
		var got []string
		for _, e := range Edges(adj, labels, tc.threshold) {
			got = append(got, fmt.Sprintf("%s>%s:%g", e.From, e.To, e.Probability))
		}
		if s := strings.Join(got, " "); s != tc.want {
			t.Errorf("threshold %g: %q, want %q", tc.threshold, s, tc.want)
		}
	}
}

// TestDecodeRefusesNull: a null where a number belongs is an error naming
// the element, never a silent 0.
func TestDecodeRefusesNull(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"base_samples": [[1, null], [2, 3]], "int_samples": [[1, 2], [2, 3]], "intervened_node": 0}`, "base_samples[0][1]"},
		{`{"base_samples": [[1, 2], [2, 3]], "int_samples": [[1, 2], null], "intervened_node": 0}`, "int_samples[1]"},
		{`{"base_samples": [[1, 2], [2, 3]], "int_samples": [[1, 2], [2, 3]], "target_row": [null, 1], "intervened_node": 0}`, "target_row[0]"},
		{`{"base_samples": [[1, 2], [2, 3]], "int_samples": [[1, 2], [2, 3]], "int_mask": [1, null]}`, "int_mask[1]"},
		{`{"instances": [{"base_samples": [[1, 2], [2, 3]], "int_samples": [[1, 2], [2, 3]], "int_mask": [null, 1]}]}`, "int_mask[0]"},
	} {
		_, _, err := DecodeBytes([]byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "null") {
			t.Errorf("%s: error %v, want one naming %s as null", tc.body, err, tc.want)
		}
	}
}

// TestDecodeRefusesDuplicateAndMiscasedKeys: encoding/json would keep the
// last of two equal keys and match keys case-insensitively; both are
// refused, on every decoding path.
func TestDecodeRefusesDuplicateAndMiscasedKeys(t *testing.T) {
	for _, tc := range []struct{ body, want string }{
		{`{"base_samples": [[1, 2], [2, 3]], "base_samples": [[5, 5], [5, 5]], "int_samples": [[1, 2], [2, 3]], "intervened_node": 0}`, "twice"},
		{`{"Base_Samples": [[1, 2], [2, 3]], "int_samples": [[1, 2], [2, 3]], "intervened_node": 0}`, "case-sensitive"},
		{`{"instances": [{"base_samples": [[1, 2], [2, 3]], "int_samples": [[1, 2], [2, 3]], "INT_MASK": [1, 0]}]}`, "case-sensitive"},
	} {
		if _, _, err := DecodeBytes([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.body, err, tc.want)
		}
	}
	for _, tc := range []struct{ body, want string }{
		{`{"data": {"rows": [[1, 2], [3, 4]], "rows": [[0, 0], [0, 0]]}}`, "twice"},
		{`{"Data": {"rows": [[1, 2], [3, 4]]}}`, "case-sensitive"},
	} {
		if _, err := DecodeData([]byte(tc.body)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.body, err, tc.want)
		}
	}
	// Equal keys in different objects are fine.
	if _, _, err := DecodeBytes([]byte(`{"instances": [{"base_samples": [[1, 2], [2, 3]], "int_samples": [[1, 2], [2, 3]], "intervened_node": 0}, {"base_samples": [[1, 2], [2, 3]], "int_samples": [[1, 2], [2, 3]], "intervened_node": 1}]}`)); err != nil {
		t.Errorf("two instances: %v", err)
	}
}

func TestDecodeOverflowMessage(t *testing.T) {
	_, _, err := DecodeBytes([]byte(`{"base_samples": [[1, 1e999], [2, 3]], "int_samples": [[1, 2], [2, 3]], "intervened_node": 0}`))
	if err == nil || !strings.Contains(err.Error(), "1e999 overflows float32") {
		t.Errorf("error %v, want one saying 1e999 overflows float32", err)
	}
}

// TestPredictDataBoundsEffects: data whose intervention values vary row by
// row get effects for the first MaxDataEffects distinct interventions only,
// and too many do() are refused.
func TestPredictDataBoundsEffects(t *testing.T) {
	m := onnxrttest.MustModel(t, modeltest.SmallDataSetConfig(), 1, export.Metadata{Version: "test", Name: "model-f"})
	r := &DataRequest{}
	for i := range 300 {
		row := []float64{float64(i % 7), float64(i % 5), float64(i % 3)}
		var iv []Node
		if i >= 100 {
			row[0] = float64(i) // a different do(x0 = v) on every row
			iv = []Node{{Index: 0}}
		}
		r.Data.Rows = append(r.Data.Rows, row)
		r.Data.Intervened = append(r.Data.Intervened, iv)
	}
	resp, err := PredictData(t.Context(), m, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Effects) != MaxDataEffects || resp.EffectsOmitted != 200-MaxDataEffects {
		t.Fatalf("%d effects, %d omitted; want %d and %d", len(resp.Effects), resp.EffectsOmitted, MaxDataEffects, 200-MaxDataEffects)
	}
	r.Do = make([]Do, MaxDo+1)
	if _, err := PredictData(t.Context(), m, r); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("%d do(): %v", MaxDo+1, err)
	}
}

func TestIsDataRequest(t *testing.T) {
	for body, want := range map[string]bool{
		`{"data": {"rows": [[1, 2], [3, 4]]}}`:                           true,
		`{"do": [{"variable": "x0", "value": 1}], "data": {"rows": []}}`: true,
		`{"base_samples": [[1, 2]], "int_samples": [[1, 2]]}`:            false,
		`{"instances": [{"data": 1}]}`:                                   false,
		`{"data": `:                                                      false,
		`[1, 2]`:                                                         false,
	} {
		if got := IsDataRequest([]byte(body)); got != want {
			t.Errorf("IsDataRequest(%s) = %t, want %t", body, got, want)
		}
	}
}
