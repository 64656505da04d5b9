package nn

import (
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// BenchmarkPairProduct times Model F's triangle product at the training
// shape of its largest batches (B = 8, N = 50, 32 channels): the forward
// and both gradients, as one step runs them.
func BenchmarkPairProduct(b *testing.B) {
	const B, N, K = 8, 50, 32
	c := &gctx{ar: &arena{}, train: true}
	val := func() gorgonia.Value {
		d := make([]float32, B*N*N*K)
		for i := range d {
			d[i] = float32(i%7) - 3
		}
		return tensor.New(tensor.WithShape(B*N, N, K), tensor.WithBacking(d))
	}
	x, y, g := val(), val(), val()
	mk := func(tp, tq bool) *pairProductOp { return newPairProduct(c, "pp", nil, B, N, K, tp, tq) }
	fwd, ga, gx := mk(false, false), mk(false, true), mk(true, false)
	b.ResetTimer()
	for range b.N {
		fwd.Do(x, y)
		ga.Do(g, y)
		gx.Do(x, g)
	}
}
