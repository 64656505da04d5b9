package model

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"causeway/safetensors"
)

// CheckpointFile is the file name of a checkpoint inside a run directory.
const CheckpointFile = "checkpoint.safetensors"

// checkpointFormat tags causeway checkpoints in the safetensors metadata.
const checkpointFormat = "causeway-checkpoint-v1"

// Tensor-name prefixes of the optimiser state inside a checkpoint; the
// parameters themselves keep their Specs names.
const (
	momentPrefix   = "optim/m/"
	velocityPrefix = "optim/v/"
)

// Checkpoint is everything needed to use or resume a model: the
// architecture, the weights, and (for training) the optimiser state, the
// step reached, the seed and the training configuration.
type Checkpoint struct {
	Config Config
	Params Params
	// Step is the number of optimiser steps taken.
	Step int
	// Seed is the training seed; with Step it determines every random draw
	// still to come (batches, dropout masks, Gumbel noise), so it is the
	// whole RNG state.
	Seed uint64
	// Moment and Velocity are Adam's first and second moments by parameter
	// name (nil in a weights-only checkpoint).
	Moment, Velocity map[string][]float32
	// Training is the training configuration as JSON (opaque to this package).
	Training json.RawMessage
	// Version is the causeway version that wrote the checkpoint.
	Version string
}

// CheckpointPath resolves path to a checkpoint file: a run directory holds
// CheckpointFile, anything else is taken as the file itself.
func CheckpointPath(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return filepath.Join(path, CheckpointFile)
	}
	return path
}

// SaveCheckpoint writes ck atomically (temp file + rename) to path, a run
// directory or a file name.
func SaveCheckpoint(path string, ck *Checkpoint) error {
	if err := ck.Params.Check(ck.Config); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	tensors := make(map[string]safetensors.Tensor, 3*len(ck.Params))
	for name, t := range ck.Params {
		tensors[name] = safetensors.FromFloat32(t.Shape, t.Data)
		if m, ok := ck.Moment[name]; ok {
			tensors[momentPrefix+name] = safetensors.FromFloat32(t.Shape, m)
		}
		if v, ok := ck.Velocity[name]; ok {
			tensors[velocityPrefix+name] = safetensors.FromFloat32(t.Shape, v)
		}
	}
	meta := map[string]string{
		"format":  checkpointFormat,
		"config":  ck.Config.JSON(),
		"step":    strconv.Itoa(ck.Step),
		"seed":    strconv.FormatUint(ck.Seed, 10),
		"version": ck.Version,
	}
	if len(ck.Training) > 0 {
		meta["training"] = string(ck.Training)
	}
	meta[checksumKey] = tensorChecksum(tensors)
	file := CheckpointPath(path)
	if err := safetensors.WriteFile(file, tensors, meta); err != nil {
		return fmt.Errorf("save checkpoint %s: %w", file, err)
	}
	return nil
}

// LoadCheckpoint reads a checkpoint from a run directory or file and checks
// it against its own architecture.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	file := CheckpointPath(path)
	tensors, meta, err := safetensors.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("load checkpoint: %s does not exist (pass a run directory written by `causeway train` or its %s)", file, CheckpointFile)
		}
		return nil, fmt.Errorf("load checkpoint %s: %w", file, err)
	}
	if meta["format"] != checkpointFormat {
		return nil, fmt.Errorf("load checkpoint %s: not a causeway checkpoint (metadata format %q, want %q)", file, meta["format"], checkpointFormat)
	}
	if want, ok := meta[checksumKey]; ok {
		if got := tensorChecksum(tensors); got != want {
			return nil, fmt.Errorf("load checkpoint %s: the tensor data do not match the checksum in its header (sha256 %s, header %s): the file is corrupt", file, got, want)
		}
	}
	ck := &Checkpoint{Params: Params{}, Version: meta["version"]}
	if err := json.Unmarshal([]byte(meta["config"]), &ck.Config); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: model config: %w", file, err)
	}
	if err := ck.Config.Validate(); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: model config: %w", file, err)
	}
	if ck.Step, err = strconv.Atoi(meta["step"]); err != nil || ck.Step < 0 {
		return nil, fmt.Errorf("load checkpoint %s: bad step %q", file, meta["step"])
	}
	if ck.Seed, err = strconv.ParseUint(meta["seed"], 10, 64); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: bad seed %q", file, meta["seed"])
	}
	if tr, ok := meta["training"]; ok {
		ck.Training = json.RawMessage(tr)
	}
	for name, t := range tensors {
		data, err := t.Float32()
		if err != nil {
			return nil, fmt.Errorf("load checkpoint %s: tensor %s: %w", file, name, err)
		}
		switch {
		case strings.HasPrefix(name, momentPrefix):
			if ck.Moment == nil {
				ck.Moment = map[string][]float32{}
			}
			ck.Moment[strings.TrimPrefix(name, momentPrefix)] = data
		case strings.HasPrefix(name, velocityPrefix):
			if ck.Velocity == nil {
				ck.Velocity = map[string][]float32{}
			}
			ck.Velocity[strings.TrimPrefix(name, velocityPrefix)] = data
		default:
			ck.Params[name] = &Tensor{Shape: append([]int(nil), t.Shape...), Data: data}
		}
	}
	if err := ck.Params.Check(ck.Config); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", file, err)
	}
	for _, state := range []map[string][]float32{ck.Moment, ck.Velocity} {
		for name, v := range state {
			p, ok := ck.Params[name]
			if !ok || len(v) != len(p.Data) {
				return nil, fmt.Errorf("load checkpoint %s: optimiser state for %s does not match the parameters", file, name)
			}
		}
	}
	return ck, nil
}

// Compatible reports why a checkpoint of architecture got cannot continue a
// run configured as want (variant or any size differs), or nil.
func Compatible(want, got Config) error {
	if want == got {
		return nil
	}
	if want.Variant != got.Variant {
		return fmt.Errorf("checkpoint is Model %s, the run wants Model %s", got.Variant, want.Variant)
	}
	return fmt.Errorf("checkpoint architecture %s differs from the run's %s", got.JSON(), want.JSON())
}

// checksumKey is the metadata key of a checkpoint's tensor checksum.
const checksumKey = "tensors_sha256"

// tensorChecksum is the hex SHA-256 of every tensor in name order: its name,
// dtype, shape and data bytes, each length-prefixed.
func tensorChecksum(tensors map[string]safetensors.Tensor) string {
	names := make([]string, 0, len(tensors))
	for name := range tensors {
		names = append(names, name)
	}
	slices.Sort(names)
	h := sha256.New()
	var buf [8]byte
	put := func(b []byte) {
		binary.LittleEndian.PutUint64(buf[:], uint64(len(b)))
		h.Write(buf[:])
		h.Write(b)
	}
	for _, name := range names {
		t := tensors[name]
		put([]byte(name))
		put([]byte(t.DType))
		put([]byte(fmt.Sprint(t.Shape)))
		put(t.Data)
	}
	return hex.EncodeToString(h.Sum(nil))
}
