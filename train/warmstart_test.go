package train

import (
	"math"
	"strings"
	"testing"

	"causeway/model"
	"causeway/model/modeltest"
)

func tensor(shape []int, data ...float32) *model.Tensor {
	return &model.Tensor{Shape: shape, Data: data}
}

// TestWarmStart: copied, grown (zero-padded), fresh and refused
// parameters.
func TestWarmStart(t *testing.T) {
	cases := []struct {
		name        string
		run, stored model.Params
		want        map[string][]float32
		kept, grown int
		err         string
	}{
		{name: "same shape is copied, a new parameter stays fresh",
			run:    model.Params{"a": tensor([]int{2}, 9, 9), "new": tensor([]int{1}, 7)},
			stored: model.Params{"a": tensor([]int{2}, 1, 2), "gone": tensor([]int{1}, 5)},
			want:   map[string][]float32{"a": {1, 2}, "new": {7}}, kept: 1},
		{name: "grown rows are zero", run: model.Params{"w": tensor([]int{3, 2}, 9, 9, 9, 9, 9, 9)},
			stored: model.Params{"w": tensor([]int{2, 2}, 1, 2, 3, 4)},
			want:   map[string][]float32{"w": {1, 2, 3, 4, 0, 0}}, grown: 1},
		{name: "grown columns are zero", run: model.Params{"w": tensor([]int{2, 3}, 9, 9, 9, 9, 9, 9)},
			stored: model.Params{"w": tensor([]int{2, 2}, 1, 2, 3, 4)},
			want:   map[string][]float32{"w": {1, 2, 0, 3, 4, 0}}, grown: 1},
		{name: "a shrunk parameter is refused", run: model.Params{"w": tensor([]int{1}, 0)},
			stored: model.Params{"w": tensor([]int{2}, 1, 2)}, err: "larger"},
		{name: "a changed rank is refused", run: model.Params{"w": tensor([]int{2, 1}, 0, 0)},
			stored: model.Params{"w": tensor([]int{2}, 1, 2)}, err: "stored shape"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			kept, grown, err := WarmStart(tc.run, tc.stored)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || kept != tc.kept || grown != tc.grown {
				t.Fatalf("kept %d grown %d err %v, want %d %d", kept, grown, err, tc.kept, tc.grown)
			}
			for name, want := range tc.want {
				for i, v := range tc.run[name].Data {
					if v != want[i] {
						t.Fatalf("%s = %v, want %v", name, tc.run[name].Data, want)
					}
				}
			}
		})
	}
}

// TestWarmStartKeepsTheModel: a Model F without the triangle update,
// warm-started into one with it, predicts exactly what it did (the
// triangle's output projection starts at zero), up to the float64
// reference's rounding; and one of statistics version 2 grows its pair
// embedding for version 3's appended statistics.
func TestWarmStartKeepsTheModel(t *testing.T) {
	old := modeltest.SmallDataSetConfig()
	old.Triangle = 0
	stored, err := modeltest.InitAll(old, 3)
	if err != nil {
		t.Fatal(err)
	}
	grownCfg := modeltest.SmallDataSetConfig()
	grownCfg.Triangle = 6
	params, err := model.Init(grownCfg, 4)
	if err != nil {
		t.Fatal(err)
	}
	if kept, grown, err := WarmStart(params, stored); err != nil || grown != 0 || kept != len(stored) {
		t.Fatalf("kept %d of %d, grown %d, err %v", kept, len(stored), grown, err)
	}
	d := modeltest.RandomDataSet(5, 2, 7, 3, modeltest.Mixed)
	wa, we, err := model.PredictDataSet(old, stored, d)
	if err != nil {
		t.Fatal(err)
	}
	ga, ge, err := model.PredictDataSet(grownCfg, params, d)
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2][]float32{"adj_logits": {wa, ga}, "effect": {we, ge}} {
		for i := range pair[0] {
			if d := math.Abs(float64(pair[0][i] - pair[1][i])); d > 1e-5*(1+math.Abs(float64(pair[0][i]))) {
				t.Fatalf("%s[%d]: %g before, %g after the warm start", name, i, pair[0][i], pair[1][i])
			}
		}
	}

	v2 := old
	v2.Stats = 2
	stored2, err := modeltest.InitAll(v2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, grown, err := WarmStart(params, stored2); err != nil || grown != 1 {
		t.Fatalf("from version 2: grown %d, err %v; want the pair embedding to grow", grown, err)
	}
}

// TestCheckWarmStart: only Model F's statistics version and triangle width
// and the dropout may change in a warm start.
func TestCheckWarmStart(t *testing.T) {
	base := modeltest.SmallDataSetConfig()
	cases := []struct {
		name string
		edit func(*model.Config)
		want string // "" for allowed
	}{
		{"the same architecture", func(*model.Config) {}, ""},
		{"statistics, triangle and dropout", func(c *model.Config) { c.Stats, c.Triangle, c.Dropout = 2, 0, 0.1 }, ""},
		{"a wider model", func(c *model.Config) { c.DModel *= 2 }, "d_model 16 → 32"},
		{"more layers", func(c *model.Config) { c.Layers++ }, "layers"},
	}
	for _, tc := range cases {
		run := base
		tc.edit(&run)
		err := CheckWarmStart(base, run)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
