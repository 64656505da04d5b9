package onnxrt

import (
	"context"
	"math/rand/v2"
	"runtime"
	"testing"

	"causeway/contract"
	"causeway/model"
)

// wideDataSet is a data set of r rows over n variables (half observational,
// half intervened one variable at a time on three values) with q queries.
func wideDataSet(seed uint64, r, n, q int) *contract.DataSet {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := &contract.DataSet{B: 1, R: r, N: n, Q: q, Samples: make([]float32, r*n), Intervened: make([]float32, r*n),
		QueryMask: make([]float32, q*n), QueryValue: make([]float32, q)}
	for i := range d.Samples {
		d.Samples[i] = float32(rng.NormFloat64())
	}
	for row := r / 2; row < r; row++ {
		k := row % n
		d.Intervened[row*n+k] = 1
		d.Samples[row*n+k] = float32(row%3) - 1
	}
	for i := range q {
		d.QueryMask[i*n+i%n] = 1
		d.QueryValue[i] = float32(i%3) - 1
	}
	return d
}

// runAllocation returns the bytes one RunDataSet of d allocates on a
// freshly loaded model (its pooled state starts empty, so every buffer of
// the run is new), plus the inputs' own size: what a request holds while it
// runs. TotalAlloc counts buffers the free list drops as well, so it bounds
// the run's peak from above.
func runAllocation(t *testing.T, b []byte, fuse bool, d *contract.DataSet) int64 {
	t.Helper()
	m, err := loadBytes(context.Background(), "f", b, fuse)
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if _, err := m.RunDataSet(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	inputs := 4 * int64(len(d.Samples)+len(d.Intervened)+len(d.QueryMask)+len(d.QueryValue))
	return int64(after.TotalAlloc-before.TotalAlloc) + inputs
}

// TestDataSetWorkingBytesBound runs the default Model F architecture on
// data sets from 200 to 100,000 rows, 10 to 100 variables and 1 to 64
// queries and requires WorkingBytes to be an upper bound on what the run
// allocates, and at most 3 times it: a looser estimate would refuse
// requests that fit (--max-work), a tighter one could not keep its margin
// across shapes (the free list reuses buffers when queries are fewer than
// variables, so measured cost is not linear in Q). The Q terms matter: at
// R=100,000 and N=10 a run allocates 55 MB with one query and 141 MB with
// 64, which the estimate without Q (32 MB) under-counted 4.4 times.
func TestDataSetWorkingBytesBound(t *testing.T) {
	c := model.DefaultConfig(model.VariantF)
	_, b := exported(t, c, 1)
	cases := []struct {
		r, n, q int
		fuse    bool
	}{
		{200, 10, 64, true},
		{10000, 10, 1, true},
		{10000, 10, 64, true},
		{100000, 10, 1, true},
		{100000, 10, 8, true},
		{100000, 10, 64, true},
		{10000, 30, 8, true},
		{10000, 30, 64, true},
		{200, 100, 1, true},
		{200, 100, 64, true},
		{10000, 100, 64, true},
		// Unfused attention materialises its weights; the estimate
		// counts them then.
		{1000, 30, 8, false},
		{200, 50, 16, false},
	}
	if testing.Short() {
		cases = cases[:3]
	}
	for _, tc := range cases {
		m, err := loadBytes(context.Background(), "f", b, tc.fuse)
		if err != nil {
			t.Fatal(err)
		}
		got := runAllocation(t, b, tc.fuse, wideDataSet(1, tc.r, tc.n, tc.q))
		est := m.WorkingBytes(1, tc.r, tc.n, tc.q)
		ratio := float64(est) / float64(got)
		if ratio < 1 || ratio > 3 {
			t.Errorf("R=%d N=%d Q=%d fused=%v: estimate %.1f MB, a run allocates %.1f MB (%.2f×), want 1–3×",
				tc.r, tc.n, tc.q, tc.fuse, float64(est)/1e6, float64(got)/1e6, ratio)
		} else {
			t.Logf("R=%d N=%d Q=%d fused=%v: estimate %.1f MB, allocated %.1f MB (%.2f×)", tc.r, tc.n, tc.q, tc.fuse, float64(est)/1e6, float64(got)/1e6, ratio)
		}
	}
}
