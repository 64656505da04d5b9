// Package models holds causeway's shipped default models, embedded in the
// binary so that `causeway serve` and `causeway predict` work with no model
// flag from any directory: model-a for sample-pair requests and model-f for
// whole data sets. The directory also holds the other shipped exports
// (model-b.onnx ... model-e.onnx), the recipe that reproduces them
// (train-defaults.sh) and their model cards (README.md).
package models

import _ "embed"

// DefaultName is the name of the embedded default sample-pair model.
const DefaultName = "model-a"

// DataSetName is the name of the embedded default data-set model.
const DataSetName = "model-f"

//go:embed model-a.onnx
var defaultONNX []byte

//go:embed model-f.onnx
var dataSetONNX []byte

// Default returns the embedded default sample-pair model's ONNX bytes
// (shared: do not modify them).
func Default() []byte { return defaultONNX }

// DataSet returns the embedded default data-set model's ONNX bytes (shared:
// do not modify them).
func DataSet() []byte { return dataSetONNX }
