package train

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestAdamMatchesHandComputedSteps(t *testing.T) {
	// Two steps of AdamW on w = [1, -2] with constant gradient g = [0.5, -1],
	// lr 0.1, weight decay 0.01, computed by hand from PyTorch's algorithm.
	w := map[string][]float32{"w": {1, -2}}
	g := map[string][]float32{"w": {0.5, -1}}
	a := NewAdam(0.01)
	want := []float64{1, -2}
	m, v := []float64{0, 0}, []float64{0, 0}
	for step := 1; step <= 2; step++ {
		if err := a.Update([]string{"w"}, w, g, 0.1); err != nil {
			t.Fatal(err)
		}
		for i, gi := range []float64{0.5, -1} {
			want[i] *= 1 - 0.1*0.01
			m[i] = 0.9*m[i] + 0.1*gi
			v[i] = 0.999*v[i] + 0.001*gi*gi
			mh := m[i] / (1 - math.Pow(0.9, float64(step)))
			vh := v[i] / (1 - math.Pow(0.999, float64(step)))
			want[i] -= 0.1 * mh / (math.Sqrt(vh) + 1e-8)
		}
		for i := range want {
			if d := math.Abs(float64(w["w"][i]) - want[i]); d > 1e-6 {
				t.Fatalf("step %d w[%d] = %v, want %v", step, i, w["w"][i], want[i])
			}
		}
	}
	if a.Step != 2 {
		t.Fatalf("Step = %d, want 2", a.Step)
	}
}

// TestAdamRejectsBadInput: a gradient or moment of the wrong length and a
// parameter listed twice are errors naming the parameter, and change
// nothing (no weight, no moment, no step count).
func TestAdamRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		grads map[string][]float32
		m     []float32
		want  string
	}{
		{"short gradient", []string{"a", "w"}, map[string][]float32{"a": {1}, "w": {1}}, nil, "parameter w has 2 values but 1 gradients"},
		{"listed twice", []string{"a", "w", "a"}, map[string][]float32{"a": {1}, "w": {1, 1}}, nil, "parameter a is listed twice"},
		{"short moment", []string{"a", "w"}, map[string][]float32{"a": {1}, "w": {1, 1}}, []float32{0}, "parameter w has 2 values but moments of 1 and 1"},
	}
	for _, tc := range tests {
		a := NewAdam(0.1)
		if tc.m != nil {
			a.M["w"], a.V["w"] = tc.m, slices.Clone(tc.m)
		}
		params := map[string][]float32{"a": {3}, "w": {1, 2}}
		err := a.Update(tc.names, params, tc.grads, 0.1)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
		if a.Step != 0 || params["a"][0] != 3 || !slices.Equal(params["w"], []float32{1, 2}) {
			t.Errorf("%s: the failed update changed the optimiser or the weights (step %d, a %v, w %v)", tc.name, a.Step, params["a"], params["w"])
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	tests := []struct {
		name     string
		grads    []float32
		max      float64
		wantNorm float64
		wantAfte float64
	}{
		{"under the limit is untouched", []float32{3, 4}, 10, 5, 5},
		{"over the limit is scaled", []float32{3, 4}, 1, 5, 1},
		{"measure only", []float32{3, 4}, 0, 5, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := map[string][]float32{"a": tc.grads[:1], "b": tc.grads[1:]}
			norm := ClipGradNorm([]string{"a", "b"}, g, tc.max)
			if math.Abs(norm-tc.wantNorm) > 1e-6 {
				t.Fatalf("norm %v, want %v", norm, tc.wantNorm)
			}
			after := math.Hypot(float64(g["a"][0]), float64(g["b"][0]))
			if math.Abs(after-tc.wantAfte) > 1e-5 {
				t.Fatalf("norm after clipping %v, want %v", after, tc.wantAfte)
			}
		})
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule{Peak: 1e-3, Warmup: 10, Total: 110, MinFactor: 0.1}
	tests := []struct {
		step int
		want float64
	}{
		{1, 1e-4},
		{5, 5e-4},
		{10, 1e-3},
		{60, 1e-3 * (0.1 + 0.9*0.5)},
		{110, 1e-4},
		{500, 1e-4},
	}
	for _, tc := range tests {
		if got := s.At(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("At(%d) = %g, want %g", tc.step, got, tc.want)
		}
	}
}

func TestTemperature(t *testing.T) {
	tau := Temperature{Start: 1, End: 0.1, Total: 101}
	tests := []struct {
		step int
		want float64
	}{{1, 1}, {51, math.Sqrt(0.1)}, {101, 0.1}, {200, 0.1}}
	for _, tc := range tests {
		if got := tau.At(tc.step); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("At(%d) = %g, want %g", tc.step, got, tc.want)
		}
	}
}

// TestAdamSameBitsOnAnyCoreCount: the update split over the cores gives
// the weights and moments of one core, bit for bit, for parameters smaller
// and larger than a chunk.
func TestAdamSameBitsOnAnyCoreCount(t *testing.T) {
	sizes := map[string]int{"small": 7, "chunk": adamChunkSize, "large": 3*adamChunkSize + 5}
	names := []string{"large", "small", "chunk"}
	run := func(procs int) (map[string][]float32, *Adam) {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		rng := rand.New(rand.NewPCG(4, 2))
		params, grads := map[string][]float32{}, map[string][]float32{}
		for name, n := range sizes {
			params[name], grads[name] = make([]float32, n), make([]float32, n)
		}
		a := NewAdam(0.01)
		for step := range 3 {
			for _, name := range names {
				for i := range params[name] {
					if step == 0 {
						params[name][i] = float32(rng.NormFloat64())
					}
					grads[name][i] = float32(rng.NormFloat64())
				}
			}
			if err := a.Update(names, params, grads, 1e-3); err != nil {
				t.Fatal(err)
			}
		}
		return params, a
	}
	want, wa := run(1)
	for _, procs := range []int{2, 3, 8} {
		got, ga := run(procs)
		for _, name := range names {
			if !slices.Equal(got[name], want[name]) || !slices.Equal(ga.M[name], wa.M[name]) || !slices.Equal(ga.V[name], wa.V[name]) {
				t.Errorf("GOMAXPROCS %d: parameter %s differs from one core's update", procs, name)
			}
		}
	}
}

// TestClipGradNormLargeGradients checks the chunked, parallel sum on
// gradients several chunks long: the norm is the float64 norm to 1e-12
// (relative; float64 rounding of 10^5 squares is ~1e-16 each), it has the
// same bits on one core as on all, and the gradients come out scaled by
// maxNorm/norm.
func TestClipGradNormLargeGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	sizes := map[string]int{"w1": 3*clipChunkSize + 17, "w2": 5, "w3": clipChunkSize}
	names := []string{"w1", "w2", "w3"}
	fresh := func() map[string][]float32 {
		g := map[string][]float32{}
		r := rand.New(rand.NewPCG(rng.Uint64(), 1))
		for name, n := range sizes {
			g[name] = make([]float32, n)
			for i := range g[name] {
				g[name][i] = float32(r.NormFloat64())
			}
		}
		return g
	}
	g := fresh()
	var want float64
	for _, name := range names {
		for _, v := range g[name] {
			want += float64(v) * float64(v)
		}
	}
	want = math.Sqrt(want)
	orig := map[string][]float32{}
	for name, v := range g {
		orig[name] = append([]float32(nil), v...)
	}
	norm := ClipGradNorm(names, g, 1)
	if math.Abs(norm-want) > 1e-12*want {
		t.Fatalf("norm %.17g, want %.17g", norm, want)
	}
	scale := float32(1 / (norm + 1e-6))
	for _, name := range names {
		for i, v := range g[name] {
			if v != orig[name][i]*scale {
				t.Fatalf("%s[%d] = %g after clipping, want %g", name, i, v, orig[name][i]*scale)
			}
		}
	}
	prev := runtime.GOMAXPROCS(1)
	one := ClipGradNorm(names, orig, 0)
	runtime.GOMAXPROCS(prev)
	if all := ClipGradNorm(names, orig, 0); math.Float64bits(one) != math.Float64bits(all) || math.Float64bits(one) != math.Float64bits(norm) {
		t.Fatalf("norm on one core %.17g, on %d cores %.17g (first call %.17g)", one, prev, all, norm)
	}
	orig["w2"][3] = float32(math.NaN())
	before := orig["w1"][0]
	if n := ClipGradNorm(names, orig, 1); !math.IsNaN(n) || orig["w1"][0] != before {
		t.Fatalf("a NaN gradient gave norm %v and changed w1[0] from %v to %v", n, before, orig["w1"][0])
	}
}

// TestClipGradNormNameTwice: a name listed twice is one gradient, measured
// and scaled once.
func TestClipGradNormNameTwice(t *testing.T) {
	g := map[string][]float32{"a": {3, 4}}
	if norm := ClipGradNorm([]string{"a", "a"}, g, 1); math.Abs(norm-5) > 1e-12 {
		t.Fatalf("norm %v, want 5", norm)
	}
	if after := math.Hypot(float64(g["a"][0]), float64(g["a"][1])); math.Abs(after-1) > 1e-5 {
		t.Fatalf("norm after clipping %v, want 1 (scaled once)", after)
	}
}
