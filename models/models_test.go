package models

import (
	"testing"

	"causeway/contract"
	"causeway/onnxrt"
)

// TestDefaultLoadsAndAnswers loads the embedded default through the
// executor (which checks the tensor contract) and runs one request.
func TestDefaultLoadsAndAnswers(t *testing.T) {
	m, err := onnxrt.LoadBytes(DefaultName, Default())
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != DefaultName {
		t.Fatalf("name %q, want %q", m.Name(), DefaultName)
	}
	const b, s, n = 1, 30, 6
	in := contract.Pairs{B: b, S: s, N: n, Base: make([]float32, b*s*n), Int: make([]float32, b*s*n),
		Target: make([]float32, b*n), Mask: make([]float32, b*n)}
	for i := range in.Base {
		in.Base[i] = float32(i%7) - 3
		in.Int[i] = float32(i%5) - 2
	}
	for i := 0; i < s; i++ {
		in.Int[i*n+2] = 8 // do(x2 = 8)
	}
	in.Mask[2] = 1
	out, err := m.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Delta) != n || len(out.AdjLogits) != n*n {
		t.Fatalf("outputs %d and %d values, want %d and %d", len(out.Delta), len(out.AdjLogits), n, n*n)
	}
	for i := 0; i < n; i++ {
		if out.AdjLogits[i*n+i] > -1000 {
			t.Fatalf("diagonal logit %g: want the no-self-loop constant", out.AdjLogits[i*n+i])
		}
	}
}

// TestDataSetDefaultLoadsAndAnswers loads the embedded data-set model and
// runs it on observational-only rows with one query.
func TestDataSetDefaultLoadsAndAnswers(t *testing.T) {
	m, err := onnxrt.LoadBytes(DataSetName, DataSet())
	if err != nil {
		t.Fatal(err)
	}
	if !m.DataSet() || m.Name() != DataSetName {
		t.Fatalf("%s: data set %t", m.Name(), m.DataSet())
	}
	const r, n = 40, 5
	d := &contract.DataSet{B: 1, R: r, N: n, Q: 1, Samples: make([]float32, r*n), Intervened: make([]float32, r*n),
		QueryMask: []float32{0, 1, 0, 0, 0}, QueryValue: []float32{3}}
	for i := range d.Samples {
		d.Samples[i] = float32((i*7)%11) - 5
	}
	out, err := m.RunDataSet(t.Context(), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AdjLogits) != n*n || len(out.Effect) != n {
		t.Fatalf("outputs %d and %d values", len(out.AdjLogits), len(out.Effect))
	}
	// The queried variable itself moves to 3 from its observational mean.
	mean := 0.0
	for i := range r {
		mean += float64(d.Samples[i*n+1])
	}
	if want := 3 - mean/r; abs(float64(out.Effect[1])-want) > 1e-4 {
		t.Errorf("effect on the queried variable %g, want %g", out.Effect[1], want)
	}
}

func abs(x float64) float64 { return max(x, -x) }
