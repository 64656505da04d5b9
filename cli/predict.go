package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"causeway/api"
	"causeway/atomicfile"
	"causeway/draw"
	"causeway/models"
	"causeway/onnxrt"
	"causeway/scm"
)

// predictCommand is `causeway predict`: run an exported model on a /predict
// JSON request or on a data set in the `causeway scm` CSV layout.
func predictCommand() *cli.Command {
	return &cli.Command{
		Name:  "predict",
		Usage: "run an exported model (.onnx) on a JSON request or a CSV data set with the pure-Go executor",
		Description: "With --input, reads a request in the /predict JSON schema ({base_samples, int_samples, target_row?,\n" +
			"intervened_node | int_mask, variables?, threshold?}, or {\"instances\": [...]}) and prints the response\n" +
			"({model, variables, delta, adjacency, threshold, edges}, or {\"predictions\": [...]}).\n" +
			"With --data, reads a data.csv in the `causeway scm` layout (a header of variable names and an\n" +
			"\"intervened\" column; observational rows have it empty). A data-set model (Model F, the default\n" +
			"here) reads every row jointly, observational-only data included, and prints {model, variables,\n" +
			"adjacency, threshold, dag, edges, effects: [{intervened, value, in_data, delta, observed, rows}]}:\n" +
			"effects for every --do and every intervention of the data. A sample-pair model (A–E, --model) predicts\n" +
			"from the observational rows and each block: {model, variables, threshold, predictions: [{intervened,\n" +
			"value, rows, delta, adjacency, edges}], adjacency_mean, edges_mean}. The CSV is read as a stream: a\n" +
			"sample-pair model holds the observational rows and one block at a time, a data-set model the rows\n" +
			"as its two input tensors (8 bytes a value) besides the executor's working memory.\n" +
			"adjacency[i][j] is the probability of the edge i -> j.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "model", Usage: "the exported model `FILE` (.onnx, from causeway export; default: a model embedded in the binary, " + models.DataSetName + " for --data and " + models.DefaultName + " for --input)"},
			&cli.StringFlag{Name: "input", Usage: "JSON request `FILE` (\"-\": standard input)"},
			&cli.StringFlag{Name: "data", Usage: "data set: a data.csv `FILE` or a graph directory holding one, in the causeway scm layout"},
			&cli.StringFlag{Name: "output", Usage: "write the response (JSON, or the --format) to `FILE` (atomically) instead of standard output"},
			&cli.Float64Flag{Name: "threshold", Value: api.DefaultThreshold, Usage: "list edges with probability above this (overrides the request's threshold when set)"},
			&cli.StringSliceFlag{Name: "do", Usage: "with --data and a data-set model: also predict the effect of do(`NAME=VALUE`) (repeatable; the variable by name or index)"},
			&cli.BoolFlag{Name: "dag", Usage: "with a data-set model: keep the listed edges acyclic (greedy, most probable first)"},
			&cli.StringFlag{Name: "format", Value: draw.Formats[0], Usage: "output: " + strings.Join(draw.Formats, ", ") + " (csv: the listed edges; dot, svg, png: a picture of the graph)"},
			maxModelSizeFlag(),
			&cli.StringFlag{Name: "truth", Usage: "with --format dot|svg|png: colour found, extra and missed edges against this adjacency `FILE` (default: the adjacency.csv beside --data)"},
		},
		Action: runPredict,
	}
}

func runPredict(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("predict: unexpected argument %q (use --input or --data)", c.Args().First())
	}
	input, data := c.String("input"), c.String("data")
	if (input == "") == (data == "") {
		return errors.New("predict: give exactly one of --input (a JSON request) and --data (a CSV data set)")
	}
	threshold := c.Float64("threshold")
	if !(threshold > 0 && threshold < 1) {
		return fmt.Errorf("predict: --threshold %g: want a probability in (0, 1)", threshold)
	}
	var (
		m   *onnxrt.Model
		err error
	)
	switch path := c.String("model"); {
	case path != "":
		m, err = loadModelFile(c, path)
	case data != "":
		m, err = onnxrt.LoadBytes(models.DataSetName, models.DataSet())
	default:
		m, err = onnxrt.LoadBytes(models.DefaultName, models.Default())
	}
	if err != nil {
		return fmt.Errorf("predict: --model: %w", err)
	}
	var dos []api.Do
	for _, s := range c.StringSlice("do") {
		do, err := api.ParseDo(s)
		if err != nil {
			return fmt.Errorf("predict: --do %w", err)
		}
		dos = append(dos, do)
	}
	if (len(dos) > 0 || c.Bool("dag")) && (!m.DataSet() || input != "") {
		return fmt.Errorf("predict: --do and --dag need --data and a data-set model (Model F); %s is Model %s", m.Name(), m.Config().Variant)
	}
	if c.String("format") == "png" && c.String("output") == "" && isTerminal(c.App.Writer) {
		return errors.New("predict: --format png writes a binary image; pass --output FILE or redirect standard output")
	}
	var result any
	if input != "" {
		result, err = predictRequest(c, m, input, threshold)
	} else {
		result, err = predictData(c, m, data, threshold, dos, c.Bool("dag"))
	}
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	out, err := formatResult(c, result)
	if err != nil {
		return fmt.Errorf("predict: %w", err)
	}
	if path := c.String("output"); path != "" {
		if err := atomicfile.WriteFile(path, out, 0o644); err != nil {
			return fmt.Errorf("predict: --output: %w", err)
		}
		return nil
	}
	_, err = c.App.Writer.Write(out)
	return err
}

func predictRequest(c *cli.Context, m *onnxrt.Model, input string, threshold float64) (any, error) {
	var r io.Reader = os.Stdin
	if input != "-" {
		f, err := os.Open(input)
		if err != nil {
			return nil, fmt.Errorf("--input: %w", err)
		}
		defer f.Close()
		r = f
	} else if c.App.Reader != nil {
		r = c.App.Reader
	}
	req, batch, err := api.Decode(r)
	if err != nil {
		return nil, fmt.Errorf("--input %s: %w", input, err)
	}
	if c.IsSet("threshold") {
		if req != nil {
			req.Threshold = &threshold
		}
		if batch != nil {
			for i := range batch.Instances {
				batch.Instances[i].Threshold = &threshold
			}
		}
	}
	if batch != nil {
		res, err := api.PredictBatch(c.Context, m, batch)
		if err != nil {
			return nil, fmt.Errorf("--input %s: %w", input, err)
		}
		return res, nil
	}
	res, err := api.Predict(c.Context, m, req)
	if err != nil {
		return nil, fmt.Errorf("--input %s: %w", input, err)
	}
	return res, nil
}

// openData opens a --data file (tests watch the reading through it).
var openData = func(path string) (io.ReadCloser, error) { return os.Open(path) }

// predictData predicts from the data set at path (a data.csv or a graph
// directory holding one), reading it as a stream: a sample-pair model
// holds the observational rows and one block at a time
// (api.PredictDatasetCSV), a data-set model the whole data set as its two
// input tensors (api.PredictDataCSV).
func predictData(c *cli.Context, m *onnxrt.Model, path string, threshold float64, dos []api.Do, dag bool) (any, error) {
	ctx := c.Context
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		if _, err := os.Stat(filepath.Join(path, scm.DataFile)); errors.Is(err, fs.ErrNotExist) {
			hint := ""
			if _, err := os.Stat(filepath.Join(path, scm.GraphDirName(0), scm.DataFile)); err == nil {
				hint = fmt.Sprintf(" (it looks like a `causeway scm --out` directory: give one graph, e.g. %s)", filepath.Join(path, scm.GraphDirName(0)))
			}
			return nil, fmt.Errorf("--data %s: no data.csv in this directory%s", path, hint)
		}
	}
	file, err := scm.DataPath(path)
	if err != nil {
		return nil, fmt.Errorf("--data: %w", err)
	}
	if m.DataSet() {
		f, err := openData(file)
		if err != nil {
			return nil, fmt.Errorf("--data: %w", err)
		}
		defer f.Close()
		res, st, err := api.PredictDataCSV(ctx, m, bufio.NewReaderSize(f, 64<<10), dos, threshold, dag)
		if err != nil {
			return nil, fmt.Errorf("--data %s: %w", file, err)
		}
		var adj []float32
		if p := scm.AdjacencyBeside(file); p != "" {
			if adj, err = scm.LoadAdjacency(p, res.Variables); err != nil {
				return nil, fmt.Errorf("--data: %w", err)
			}
		}
		writeDataSummary(c.App.ErrWriter, res, st, adj)
		return res, nil
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil, fmt.Errorf("--data: %w", err)
	}
	opened := 0
	open := func() (io.ReadCloser, error) {
		if opened++; opened > 1 && !st.Mode().IsRegular() {
			return nil, errors.New("an observational row comes after an interventional block, so the blocks must be read a second time, and this is not a regular file: put the observational rows first")
		}
		f, err := openData(file)
		if err != nil {
			return nil, err
		}
		return struct {
			io.Reader
			io.Closer
		}{bufio.NewReaderSize(f, 64<<10), f}, nil
	}
	res, _, err := api.PredictDatasetCSV(ctx, m, open, threshold)
	if err != nil {
		return nil, fmt.Errorf("--data %s: %w", file, err)
	}
	return res, nil
}
