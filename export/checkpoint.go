package export

import (
	"errors"

	"causeway/model"
)

// LoadParams reads a checkpoint for export: path is a run directory (holding
// model.CheckpointFile) or a checkpoint file, as model.LoadCheckpoint reads
// it. It returns the architecture, the weights (checked against the
// architecture) and Metadata with the training steps and seed set.
func LoadParams(path string) (model.Config, model.Params, Metadata, error) {
	if path == "" {
		return model.Config{}, nil, Metadata{}, errors.New("no checkpoint given")
	}
	ck, err := model.LoadCheckpoint(path)
	if err != nil {
		return model.Config{}, nil, Metadata{}, err
	}
	return ck.Config, ck.Params, Metadata{Steps: int64(ck.Step), Seed: ck.Seed}, nil
}
