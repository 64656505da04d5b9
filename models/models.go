// Package models holds causeway's shipped default model, embedded in the
// binary so that `causeway serve` and `causeway predict` work with no model
// flag from any directory. The directory also holds the other shipped
// exports (model-b.onnx ... model-e.onnx), the recipe that reproduces them
// (train-defaults.sh) and their model cards (README.md).
package models

import _ "embed"

// DefaultName is the name of the embedded default model.
const DefaultName = "model-a"

//go:embed model-a.onnx
var defaultONNX []byte

// Default returns the embedded default model's ONNX bytes (shared: do not
// modify them).
func Default() []byte { return defaultONNX }
