package export

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/advancedclimatesystems/gonnx/onnx"

	"causeway/atomicfile"
	"causeway/contract"
	"causeway/model"
	"causeway/onnxfile"
)

// Target says where Write puts an exported model. At least one of Path and
// TritonRepo must be set.
type Target struct {
	// Path is the .onnx file to write; its directory must exist.
	Path string
	// TritonRepo is the root of a Triton / KServe model repository; Write
	// creates TritonRepo/Name/1/model.onnx and TritonRepo/Name/config.pbtxt
	// (and the directories) there. Empty means no repository.
	TritonRepo string
	// Name is the model's name in the repository (a directory name).
	Name string
}

// WriteFile writes m to path atomically: the file appears complete or not at
// all, and an existing file is replaced only once the new one is on disk.
func WriteFile(path string, m *onnx.ModelProto) error {
	_, err := Write(m, Target{Path: path})
	return err
}

// Write writes m to every place t names, all or nothing: every file is first
// written to a temporary file beside its target and synced, and only when all
// of them are complete are they renamed into place. If anything fails before
// that, no target is touched and directories Write created are removed
// again. It returns the paths written.
func Write(m *onnx.ModelProto, t Target) ([]string, error) {
	if t.Path == "" && t.TritonRepo == "" {
		return nil, errors.New("export: write: no output path and no model repository")
	}
	data, err := Marshal(m)
	if err != nil {
		return nil, err
	}
	type file struct {
		path string
		data []byte
	}
	var files []file
	if t.Path != "" {
		if st, err := os.Stat(t.Path); err == nil && st.IsDir() {
			return nil, fmt.Errorf("export: write %s: is a directory; give the .onnx file's path", t.Path)
		}
		files = append(files, file{t.Path, data})
	}
	var created []string // directories made here, parents first
	cleanup := func() {
		for i := len(created) - 1; i >= 0; i-- {
			os.Remove(created[i])
		}
	}
	if t.TritonRepo != "" {
		if err := onnxfile.CheckName(t.Name); err != nil {
			return nil, fmt.Errorf("export: triton repository: %w", err)
		}
		dir := filepath.Join(t.TritonRepo, t.Name)
		created, err = mkdirs(filepath.Join(dir, "1"))
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("export: triton repository %s: %w", t.TritonRepo, err)
		}
		files = append(files,
			file{filepath.Join(dir, "1", "model.onnx"), data},
			file{filepath.Join(dir, "config.pbtxt"), []byte(TritonConfig(t.Name, dataSetModel(m)))})
	}

	staged := make([]*atomicfile.File, 0, len(files))
	abort := func() {
		for _, f := range staged {
			f.Abort()
		}
		cleanup()
	}
	for _, f := range files {
		w, err := atomicfile.Create(f.path)
		if err != nil {
			abort()
			return nil, fmt.Errorf("export: %w", err)
		}
		staged = append(staged, w)
		if _, err := w.Write(f.data); err != nil {
			abort()
			return nil, fmt.Errorf("export: %w", err)
		}
	}
	var written []string
	for i, w := range staged {
		if err := w.Commit(); err != nil {
			for _, rest := range staged[i+1:] {
				rest.Abort()
			}
			if len(written) == 0 {
				cleanup()
				return nil, fmt.Errorf("export: %w", err)
			}
			return written, fmt.Errorf("export: %w (already written: %s)", err, strings.Join(written, ", "))
		}
		written = append(written, w.Name())
	}
	return written, nil
}

// mkdirs creates dir and its missing parents and returns the directories it
// created, parents first.
func mkdirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err == nil {
			if !st.IsDir() {
				return nil, fmt.Errorf("%s is not a directory", d)
			}
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	var created []string
	for i := len(missing) - 1; i >= 0; i-- {
		if err := os.Mkdir(missing[i], 0o777); err != nil {
			return created, err
		}
		created = append(created, missing[i])
	}
	return created, nil
}

// TritonConfig returns the config.pbtxt of a Triton Inference Server (or
// KServe with the Triton runtime) model named name that serves an exported
// model with the onnxruntime backend.
//
// It sets max_batch_size 0 and gives every tensor its full shape with -1
// for each dynamic dimension, B included: a request carries its own batch,
// the N of a batch is fixed by its graph, and requests with different N
// cannot be merged, so Triton's implicit batch dimension and dynamic batcher
// do not apply. Clients send the tensors of the model's contract (the
// data-set contract when dataSet) exactly as to the .onnx file and to
// causeway serve's Open Inference Protocol endpoint.
func TritonConfig(name string, dataSet bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by causeway export: a Triton / KServe model configuration for %s.\n", name)
	b.WriteString("# max_batch_size 0: B is an explicit dynamic dimension of every tensor (-1).\n")
	fmt.Fprintf(&b, "name: %q\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 0\n", name)
	ins, outs := Contract()
	if dataSet {
		ins, outs = DataSetContract()
	}
	section := func(kind string, specs []contract.Spec) {
		fmt.Fprintf(&b, "%s [\n", kind)
		for i, t := range specs {
			dims := strings.TrimSuffix(strings.Repeat("-1, ", len(t.Shape)), ", ")
			fmt.Fprintf(&b, "  {\n    name: %q\n    data_type: TYPE_FP32\n    dims: [ %s ]\n  }", t.Name, dims)
			if i < len(specs)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString("]\n")
	}
	section("input", ins)
	section("output", outs)
	return b.String()
}

// dataSetModel reports whether m's metadata names a data-set variant.
func dataSetModel(m *onnx.ModelProto) bool {
	c, err := onnxfile.ConfigOf(m)
	return err == nil && c.Variant.DataSet()
}

// DefaultName returns the model name for an output path: its base name
// without the .onnx extension ("models/model-a.onnx" → "model-a").
func DefaultName(path string, c model.Config) string {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if path == "" || onnxfile.CheckName(base) != nil {
		return Metadata{}.name(c)
	}
	return base
}
