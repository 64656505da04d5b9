package serve

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"causeway/api"
)

// fieldsOf lists a struct type's JSON field tags.
func fieldsOf(v any) []string {
	t := reflect.TypeOf(v)
	var out []string
	for i := 0; i < t.NumField(); i++ {
		out = append(out, t.Field(i).Tag.Get("json"))
	}
	return out
}

// TestEncodersKnowTheTypes fails when a response type gains, loses or
// renames a field: the hand-written encoders must follow.
func TestEncodersKnowTheTypes(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want []string
	}{
		{api.Response{}, []string{"model", "variables", "delta", "adjacency", "threshold", "edges"}},
		{api.Edge{}, []string{"from", "to", "probability"}},
		{api.BatchResponse{}, []string{"predictions"}},
		{api.InferResponse{}, []string{"model_name", "model_version", "id,omitempty", "outputs"}},
		{api.InferOutput{}, []string{"name", "datatype", "shape", "parameters,omitempty", "data,omitempty"}},
	} {
		if got := fieldsOf(tc.v); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%T has JSON fields %q; the encoders in encode.go write %q: update them", tc.v, got, tc.want)
		}
	}
}

func encodingJSON(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// randFloat32 draws floats of every magnitude, including the cut-offs of
// encoding/json's exponent format.
func randFloat32(rng *rand.Rand) float32 {
	switch rng.IntN(6) {
	case 0:
		return float32(rng.NormFloat64())
	case 1:
		return float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30)))
	case 2:
		return []float32{0, float32(math.Copysign(0, -1)), 1e-6, 9.99999e-7, 1e21, 9.99999e20, -1e4, 1, 0.5, math.MaxFloat32, math.SmallestNonzeroFloat32}[rng.IntN(11)]
	case 3:
		return math.Float32frombits(rng.Uint32() &^ (0xff << 23)) // subnormals
	default:
		f := math.Float32frombits(rng.Uint32())
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			return 1
		}
		return f
	}
}

// TestEncodersMatchEncodingJSON holds the encoders to json.Encoder's
// bytes.
func TestEncodersMatchEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	names := []string{"x0", "rain", `a"b`, "<tag>", "é", "tab\there", "a&b", "\u2028", string([]byte{0xff, 'x'}), ""}
	floats := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = randFloat32(rng)
		}
		return v
	}
	for k := 0; k < 300; k++ {
		n := rng.IntN(5)
		r := api.Response{Model: names[rng.IntN(len(names))], Threshold: rng.Float64(), Delta: floats(n)}
		if rng.IntN(5) > 0 {
			r.Variables = make([]string, n)
			for i := range r.Variables {
				r.Variables[i] = names[rng.IntN(len(names))]
			}
			r.Adjacency = make([][]float32, n)
			for i := range r.Adjacency {
				r.Adjacency[i] = floats(n)
			}
			r.Edges = []api.Edge{}
			for i := 0; i < rng.IntN(4); i++ {
				r.Edges = append(r.Edges, api.Edge{From: names[rng.IntN(len(names))], To: "x1", Probability: randFloat32(rng)})
			}
		}
		if k%7 == 0 {
			r.Threshold = []float64{1e-7, 1e21, 0.5, 1e-6}[k%4]
		}
		if got, want := appendResponse(nil, &r), encodingJSON(t, &r); !bytes.Equal(got, want) {
			t.Fatalf("response\n%s\nencoding/json\n%s", got, want)
		}
		batch := api.BatchResponse{Predictions: []api.Response{r, r}}
		if k%5 == 0 {
			batch.Predictions = nil
		}
		if got, want := appendBatchResponse(nil, &batch), encodingJSON(t, &batch); !bytes.Equal(got, want) {
			t.Fatalf("batch\n%s\nencoding/json\n%s", got, want)
		}
		ir := api.InferResponse{ModelName: r.Model, ModelVersion: "1", ID: names[rng.IntN(len(names))]}
		if k%3 > 0 {
			ir.Outputs = []api.InferOutput{{Name: "delta", Datatype: "FP32", Shape: []int{1, n}, Data: r.Delta}, {Name: "adj_logits", Datatype: "FP32", Data: floats(n * n)}}
		}
		if k%3 == 2 { // binary outputs: parameters, no data
			ir.Outputs[k%2].Parameters, ir.Outputs[k%2].Data = &api.OutputParameters{BinaryDataSize: 4 * len(ir.Outputs[k%2].Data)}, nil
		}
		if got, want := appendInferResponse(nil, &ir), encodingJSON(t, &ir); !bytes.Equal(got, want) {
			t.Fatalf("infer\n%s\nencoding/json\n%s", got, want)
		}
	}
}
