package nn

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"causeway/model"
)

// TestBuilderMisuseIsAnError holds nn's builder to model.Builder's failure
// policy: a parameter of the wrong shape (found by Linear) and a missing
// one make Predict and Step return a *model.BuildError, not panic, and the
// Net works once the parameter is right again.
func TestBuilderMisuseIsAnError(t *testing.T) {
	n := newTestNet(t, smallConfig(model.VariantA), 1)
	rng := rand.New(rand.NewPCG(1, 2))
	b := randBatch(rng, 2, 10, 4)
	const name = "encoder/feature_proj/weight"
	good := n.dense[name]
	shape := good.Shape()
	for _, tc := range []struct {
		what  string
		param *tensor.Dense // nil: missing
		want  string
	}{
		{"wrong shape", tensor.New(tensor.WithShape(shape[0]+1, shape[1]), tensor.Of(tensor.Float32)), "linear encoder/feature_proj: input (2, 4, 6), weight (7, 16)"},
		{"missing", nil, "parameter " + name + " is not in the architecture"},
	} {
		if tc.param == nil {
			delete(n.dense, name)
		} else {
			n.dense[name] = tc.param
		}
		_, _, err := n.Predict(b)
		var be *model.BuildError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s parameter: Predict error %v, want a *model.BuildError with %q", tc.what, err, tc.want)
		}
		_, err = n.Step(b, DefaultLossWeights(), 1, rng)
		if !errors.As(err, &be) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s parameter: Step error %v, want a *model.BuildError with %q", tc.what, err, tc.want)
		}
	}
	n.dense[name] = good
	if _, _, err := n.Predict(b); err != nil {
		t.Errorf("with the parameter restored: %v", err)
	}
}
