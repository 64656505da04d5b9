// Package traintest holds test fixtures shared by the packages that train
// causeway models from outside package train (report, the command): a
// training run small enough for unit tests. It is imported by tests only;
// package train's own tests keep their copy, since they cannot import it.
package traintest

import (
	"causeway/model"
	"causeway/train"
)

// TinyConfig is a run of variant v for steps steps small enough for unit
// tests (about 0.1 s): d_model 16, one layer, graphs of 5–8 nodes,
// validation every 5 steps, no checkpoints along the way.
func TinyConfig(v model.Variant, steps int) train.Config {
	c := train.DefaultConfig(v)
	c.Model.DModel, c.Model.Heads, c.Model.Layers, c.Model.StructLayers, c.Model.FF = 16, 2, 1, 1, 32
	c.Model.MaxNodes = 10
	c.Steps, c.Batch, c.MinNodes, c.MaxNodes = steps, 4, 5, 8
	c.LR, c.Warmup = 1e-3, 2
	c.ValEvery, c.ValGraphs, c.ValNodes = 5, 8, 6
	c.LogEvery, c.CkptEvery = 1, 0
	c.Workers = 2
	return c
}
