package api

import (
	"strconv"

	"causeway/contract"
	"causeway/model"
	"causeway/onnxfile"
	"causeway/onnxrt"
)

// What causeway serve says about itself and its models: GET /models
// (causeway's own listing) and the Open Inference Protocol's server and
// model metadata, GET /v2 and GET /v2/models/{name}.

// ModelList is the answer to GET /models.
type ModelList struct {
	// Default names the model that answers requests without "model".
	Default string `json:"default"`
	// Models are the loaded models, in load order.
	Models []ModelInfo `json:"models"`
}

// ModelInfo describes one loaded model.
type ModelInfo struct {
	Name    string `json:"name"`
	Default bool   `json:"default"`
	// Variant is the architecture, "A" to "F" (F reads whole data sets:
	// POST /predict with {"data": ...}).
	Variant string `json:"variant"`
	// MaxNodes is the largest N the model accepts.
	MaxNodes int `json:"max_nodes"`
	// Parameters counts the model's weights.
	Parameters int64 `json:"parameters"`
	// Config is the full architecture.
	Config model.Config `json:"config"`
	// Training summarises the checkpoint the model was exported from.
	Training TrainingSummary `json:"training"`
	// Version is the causeway version that exported the model.
	Version string `json:"causeway_version"`
}

// TrainingSummary is what a model's metadata says about its training.
type TrainingSummary struct {
	// Steps is the number of optimiser steps (0: freshly initialised).
	Steps int64 `json:"steps"`
	// Seed is the training seed.
	Seed uint64 `json:"seed"`
}

// NewModelInfo describes m as GET /models lists it.
func NewModelInfo(m *onnxrt.Model) ModelInfo {
	meta := m.Metadata()
	cfg := m.Config()
	info := ModelInfo{
		Name:     m.Name(),
		Variant:  string(cfg.Variant),
		MaxNodes: cfg.MaxNodes,
		Config:   cfg,
		Version:  meta[onnxfile.PropVersion],
	}
	info.Parameters, _ = strconv.ParseInt(meta[onnxfile.PropParameters], 10, 64)
	info.Training.Steps, _ = strconv.ParseInt(meta[onnxfile.PropTrainingSteps], 10, 64)
	info.Training.Seed, _ = strconv.ParseUint(meta[onnxfile.PropSeed], 10, 64)
	// Only causeway's own metadata keys are shown, as the fields above: a
	// file may carry anything in its metadata_props (paths, secrets).
	return info
}

// ServerMetadata is the answer to GET /v2 (OIP server metadata).
type ServerMetadata struct {
	Name       string   `json:"name"`
	Version    string   `json:"version"`
	Extensions []string `json:"extensions"`
}

// ModelMetadata is the answer to GET /v2/models/{name} (OIP model
// metadata).
type ModelMetadata struct {
	Name     string           `json:"name"`
	Versions []string         `json:"versions"`
	Platform string           `json:"platform"`
	Inputs   []TensorMetadata `json:"inputs"`
	Outputs  []TensorMetadata `json:"outputs"`
}

// TensorMetadata describes one input or output tensor; -1 is a dynamic
// dimension.
type TensorMetadata struct {
	Name     string `json:"name"`
	Datatype string `json:"datatype"`
	Shape    []int  `json:"shape"`
}

// Platform is the OIP platform of every model: the same as Triton's for
// the .onnx file (causeway export writes it into config.pbtxt).
const Platform = "onnxruntime_onnx"

// ModelVersion is the only version of every model (OIP model versions).
const ModelVersion = "1"

// NewModelMetadata is m's OIP model metadata: the tensors of its contract
// (models A-E or the data-set model F), every dimension dynamic.
func NewModelMetadata(m *onnxrt.Model) ModelMetadata {
	ins, outs := contract.PairSpecs()
	if m.DataSet() {
		ins, outs = contract.DataSetSpecs()
	}
	tensors := func(specs []contract.Spec) []TensorMetadata {
		out := make([]TensorMetadata, len(specs))
		for i, t := range specs {
			shape := make([]int, len(t.Shape))
			for j := range shape {
				shape[j] = -1
			}
			out[i] = TensorMetadata{Name: t.Name, Datatype: "FP32", Shape: shape}
		}
		return out
	}
	return ModelMetadata{Name: m.Name(), Versions: []string{ModelVersion}, Platform: Platform,
		Inputs: tensors(ins), Outputs: tensors(outs)}
}
