package model

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestReferenceMisuseIsAnError holds the Reference to Builder's failure
// policy: a parameter of the wrong shape (found by Linear) and a missing
// one are *BuildError results of Run, not panics, and the Reference still
// runs once the parameter is right again.
func TestReferenceMisuseIsAnError(t *testing.T) {
	c := refConfig(VariantA, false)
	p, err := Init(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReference(c, p)
	if err != nil {
		t.Fatal(err)
	}
	base, intv, target, mask := refRandomBatch(rand.New(rand.NewPCG(1, 2)), 2, 10, 4).arrays()
	const name = "encoder/feature_proj/weight"
	good := r.params[name]
	for _, tc := range []struct {
		what  string
		param *Array // nil: missing
		want  string
	}{
		{"wrong shape", NewArray(good.Shape[0]+1, good.Shape[1]), "linear encoder/feature_proj: input [2 4 6], weight [7 16]"},
		{"missing", nil, "parameter " + name + " missing"},
	} {
		if tc.param == nil {
			delete(r.params, name)
		} else {
			r.params[name] = tc.param
		}
		_, _, err := r.Run(base, intv, target, mask)
		var be *BuildError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s parameter: error %v, want a *BuildError with %q", tc.what, err, tc.want)
		}
	}
	r.params[name] = good
	if _, _, err := r.Run(base, intv, target, mask); err != nil {
		t.Errorf("with the parameter restored: %v", err)
	}
}

// TestRecoverBuild: a *BuildError is returned as it is; any other panic
// while rendering is wrapped in one.
func TestRecoverBuild(t *testing.T) {
	run := func(f func()) (err error) {
		defer RecoverBuild(&err)
		f()
		return nil
	}
	if err := run(func() {}); err != nil {
		t.Errorf("no panic: %v", err)
	}
	cause := errors.New("cause")
	var be *BuildError
	if err := run(func() { Failf("layer %d: %w", 3, cause) }); !errors.As(err, &be) || !errors.Is(err, cause) || err.Error() != "layer 3: cause" {
		t.Errorf("Failf: %v", err)
	}
	if err := run(func() { panic("plain") }); !errors.As(err, &be) || err.Error() != "plain" {
		t.Errorf("a string panic: %v", err)
	}
	if err := run(func() { _ = []int{}[len(t.Name())] }); !errors.As(err, &be) || !strings.Contains(err.Error(), "index out of range") {
		t.Errorf("a runtime error: %v", err)
	}
}
