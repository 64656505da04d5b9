package scm

import (
	"math"
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig invalid: %v", err)
	}
	d := DefaultConfig()
	if d.Nodes != 20 || d.Prior != PriorNotebook || d.EdgeProb != 0.3 || d.Samples != 100 || d.InterventionFrac != 0.5 ||
		len(d.Values) != 3 || d.Values[0] != 5 || d.Values[1] != 8 || d.Values[2] != 10 ||
		d.Pairing != PairingRandom || d.Noise != NoiseGaussian || d.NoiseScale != 1 {
		t.Errorf("DefaultConfig = %+v, not the notebook's defaults", d)
	}
	tests := []struct {
		name string
		edit func(*Config)
		want string // substring of the error; "" for valid
	}{
		{"er degree at its bound", func(c *Config) { c.Prior, c.Degree = PriorER, 9.5 }, ""},
		{"sf large degree", func(c *Config) { c.Prior, c.Degree = PriorSF, 30 }, ""},
		{"q 0", func(c *Config) { c.InterventionFrac = 0 }, ""},
		{"one node", func(c *Config) { c.Nodes = 1 }, "nodes must be at least 2"},
		{"unknown prior", func(c *Config) { c.Prior = "bogus" }, `unknown prior "bogus"`},
		{"p < 0", func(c *Config) { c.EdgeProb = -0.1 }, "edge probability must be in [0, 1]"},
		{"p > 1", func(c *Config) { c.EdgeProb = 1.01 }, "edge probability must be in [0, 1]"},
		{"p NaN", func(c *Config) { c.EdgeProb = math.NaN() }, "edge probability"},
		{"negative degree", func(c *Config) { c.Degree = -1 }, "degree must be"},
		{"er degree too large", func(c *Config) { c.Prior, c.Degree = PriorER, 10 }, "too large for the er prior"},
		{"zero noise", func(c *Config) { c.NoiseScale = 0 }, "noise scale"},
		{"unknown noise", func(c *Config) { c.Noise = "cauchy" }, `unknown noise "cauchy"`},
		{"one sample", func(c *Config) { c.Samples = 1 }, "samples must be at least 2"},
		{"q > 1", func(c *Config) { c.InterventionFrac = 1.5 }, "intervention fraction"},
		{"no values", func(c *Config) { c.Values = nil }, "at least one intervention value"},
		{"infinite value", func(c *Config) { c.Values = []float64{5, math.Inf(1)} }, "must be finite"},
		{"unknown pairing", func(c *Config) { c.Pairing = "paired" }, `unknown pairing "paired"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Several faults are all reported.
	c := DefaultConfig()
	c.Nodes, c.Samples = 0, 0
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "nodes") || !strings.Contains(err.Error(), "samples") {
		t.Errorf("error %v should name both nodes and samples", err)
	}
}

func TestTargets(t *testing.T) {
	tests := []struct {
		n    int
		q    float64
		want int
	}{{20, 0.5, 10}, {5, 0.5, 3}, {10, 0.3, 3}, {7, 0, 0}, {7, 1, 7}, {3, 0.01, 1}}
	for _, tc := range tests {
		c := DefaultConfig()
		c.Nodes, c.InterventionFrac = tc.n, tc.q
		if got := c.targets(); got != tc.want {
			t.Errorf("targets(N=%d, q=%v) = %d, want %d", tc.n, tc.q, got, tc.want)
		}
	}
}
