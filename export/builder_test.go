package export

import (
	"errors"
	"strings"
	"testing"

	"causeway/model"
	"causeway/model/modeltest"
)

// TestBuilderMisuseIsAnError holds the ONNX builder to model.Builder's
// failure policy: an attention weight of the wrong shape and a missing
// parameter are *model.BuildError results of the rendering (Build's error,
// past its parameter check), not panics, and a graph of the right
// parameters renders.
func TestBuilderMisuseIsAnError(t *testing.T) {
	for _, v := range []model.Variant{model.VariantA, model.VariantF} {
		c := smallConfig(v, false)
		if v == model.VariantF {
			c = modeltest.SmallDataSetConfig()
		}
		p, err := model.Init(c, 1)
		if err != nil {
			t.Fatal(err)
		}
		name := "layer0/attn/q_proj/weight"
		if v == model.VariantF {
			name = "axial0/row/attn/q_proj/weight"
		}
		good, ok := p[name]
		if !ok {
			t.Fatalf("%s: no parameter %s", v, name)
		}
		d := good.Shape[1]
		for _, tc := range []struct {
			what  string
			param *model.Tensor // nil: missing
			want  string
		}{
			{"wrong shape", &model.Tensor{Shape: []int{d, d + 1}, Data: make([]float32, d*(d+1))}, "does not split into"},
			{"missing", nil, "parameter " + name + " missing"},
		} {
			broken := model.Params{}
			for k, x := range p {
				broken[k] = x
			}
			if tc.param == nil {
				delete(broken, name)
			} else {
				broken[name] = tc.param
			}
			_, _, err := newGraph(c, broken, "m").forward()
			var be *model.BuildError
			if !errors.As(err, &be) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s, %s parameter: error %v, want a *model.BuildError with %q", v, tc.what, err, tc.want)
			}
		}
		if _, _, err := newGraph(c, p, "m").forward(); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}
