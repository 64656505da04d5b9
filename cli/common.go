package cli

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"causeway/onnxrt"
	"causeway/progress"
	"causeway/scm"
)

// priorFlags are the SCM-prior flags shared by train and eval.
func priorFlags() []cli.Flag {
	d := scm.DefaultConfig()
	return []cli.Flag{
		&cli.StringFlag{Name: "prior", Value: string(d.Prior), Usage: "graph prior: notebook (fixed edge probability), er (expected in-degree) or sf (scale-free)"},
		&cli.Float64Flag{Name: "edge-prob", Value: d.EdgeProb, Usage: "notebook prior: edge probability p"},
		&cli.Float64Flag{Name: "degree", Value: d.Degree, Usage: "er/sf priors: expected in-degree"},
		&cli.IntFlag{Name: "samples", Value: d.Samples, Usage: "samples S per observational and interventional set"},
		&cli.StringFlag{Name: "values", Value: joinFloats(d.Values), Usage: "intervention values, comma-separated"},
		&cli.StringFlag{Name: "pairing", Value: d.Pairing, Usage: "delta target: random (the notebook's) or counterfactual"},
		&cli.StringFlag{Name: "noise", Value: d.Noise, Usage: "noise law: gaussian, laplace or uniform"},
		&cli.Float64Flag{Name: "noise-scale", Value: d.NoiseScale, Usage: "noise standard deviation"},
		&cli.BoolFlag{Name: "weights", Usage: "random edge weights in ±[0.5, 2]"},
		&cli.BoolFlag{Name: "standardize", Usage: "standardise every variable after sampling"},
		&cli.Float64Flag{Name: "intervention-frac", Value: d.InterventionFrac, Usage: "fraction q of nodes intervened on (ceil(N·q) distinct targets), in [0, 1]; 0: observational rows only"},
	}
}

// priorFromFlags returns base with every prior flag given on the command
// line applied (flags left unset keep base's values; priorFlags' defaults
// are scm.DefaultConfig's, so base = scm.DefaultConfig() gives the flags'
// values).
func priorFromFlags(c *cli.Context, base scm.Config) (scm.Config, error) {
	p := base
	set := c.IsSet
	if set("prior") {
		p.Prior = scm.Prior(c.String("prior"))
	}
	if set("intervention-frac") {
		p.InterventionFrac = c.Float64("intervention-frac")
	}
	if set("edge-prob") {
		p.EdgeProb = c.Float64("edge-prob")
	}
	if set("degree") {
		p.Degree = c.Float64("degree")
	}
	if set("samples") {
		p.Samples = c.Int("samples")
	}
	if set("pairing") {
		p.Pairing = c.String("pairing")
	}
	if set("noise") {
		p.Noise = c.String("noise")
	}
	if set("noise-scale") {
		p.NoiseScale = c.Float64("noise-scale")
	}
	if set("weights") {
		p.Weights = c.Bool("weights")
	}
	if set("standardize") {
		p.Standardize = c.Bool("standardize")
	}
	if set("values") {
		vals, err := parseFloats(c.String("values"))
		if err != nil {
			return p, fmt.Errorf("--values: %w", err)
		}
		p.Values = vals
	}
	return p, nil
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a comma-separated list of numbers", s)
		}
		out = append(out, v)
	}
	return out, nil
}

func joinFloats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

// newLogger returns a text slog logger on stderr at the named level.
func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	// Beside: on a terminal, log lines move the progress line out of their
	// way instead of printing over it.
	return slog.New(slog.NewTextHandler(progress.Beside(os.Stderr), &slog.HandlerOptions{Level: l})), nil
}

// maxModelSizeFlag is --max-model-size, shared by the commands that load
// .onnx files (serve, predict, eval).
func maxModelSizeFlag() cli.Flag {
	return &cli.StringFlag{Name: "max-model-size", Value: "1GiB",
		Usage: "largest .onnx file to read, e.g. 1GiB, 200MiB or a byte count; larger files are refused before they are read"}
}

// modelLoadOptions returns the onnxrt load options of --max-model-size.
func modelLoadOptions(c *cli.Context) (onnxrt.LoadOptions, error) {
	limit, err := parseSize(c.String("max-model-size"))
	if err != nil {
		return onnxrt.LoadOptions{}, fmt.Errorf("--max-model-size: %w", err)
	}
	return onnxrt.LoadOptions{MaxFileBytes: limit}, nil
}

// loadModelFile loads the .onnx file at path with --max-model-size's bound
// (an error over it names the flag).
func loadModelFile(c *cli.Context, path string) (*onnxrt.Model, error) {
	opts, err := modelLoadOptions(c)
	if err != nil {
		return nil, err
	}
	m, err := onnxrt.LoadContext(c.Context, path, opts)
	if errors.Is(err, onnxrt.ErrFileTooLarge) {
		return nil, fmt.Errorf("%w (raise --max-model-size)", err)
	}
	return m, err
}
