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
