// Package onnxrttest exports freshly initialised models and loads them in
// the executor: the fixture of tests and examples that need a model but not
// a trained file.
package onnxrttest

import (
	"strings"
	"testing"

	"causeway/export"
	"causeway/model"
	"causeway/onnxrt"
)

// Bytes exports the model of configuration c with the parameters
// model.Init(c, seed) as .onnx bytes carrying meta.
func Bytes(c model.Config, seed uint64, meta export.Metadata) ([]byte, error) {
	p, err := model.Init(c, seed)
	if err != nil {
		return nil, err
	}
	mp, err := export.Build(c, p, meta)
	if err != nil {
		return nil, err
	}
	return export.Marshal(mp)
}

// Model loads Bytes(c, seed, meta) in the executor under the file name
// file (used in its errors; may be empty).
func Model(file string, c model.Config, seed uint64, meta export.Metadata) (*onnxrt.Model, error) {
	b, err := Bytes(c, seed, meta)
	if err != nil {
		return nil, err
	}
	return onnxrt.LoadBytes(file, b)
}

// MustBytes is Bytes for tests: an error fails tb.
func MustBytes(tb testing.TB, c model.Config, seed uint64, meta export.Metadata) []byte {
	tb.Helper()
	b, err := Bytes(c, seed, meta)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// MustModel is Model for tests: an error fails tb.
func MustModel(tb testing.TB, c model.Config, seed uint64, meta export.Metadata) *onnxrt.Model {
	tb.Helper()
	m, err := Model("", c, seed, meta)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// Small returns a small (width 16, one layer), freshly initialised model of
// variant v: a stand-in for a trained models/model-*.onnx in examples.
func Small(v model.Variant) (*onnxrt.Model, error) {
	c := model.DefaultConfig(v)
	c.DModel, c.FF, c.Layers = 16, 32, 1
	return Model("", c, 1, export.Metadata{Name: "model-" + strings.ToLower(string(v)), Version: "example"})
}
