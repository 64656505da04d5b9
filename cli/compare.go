package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"causeway/report"
)

// compareCommand is `causeway compare`: plots and a table of several runs.
func compareCommand() *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "compare training runs: plots of held-out SHD, delta MSE, AUROC and loss, and a table of final metrics",
		ArgsUsage: "RUN_DIR...",
		Description: "Reads log.jsonl and summary.json of every run directory written by `causeway train` and writes to\n" +
			"--out: shd.png, delta_mse.png and auroc.png (the held-out metric against steps, one line per run, the\n" +
			"empty-graph or mean-shift baseline dashed), loss.png (training loss) and README.md (a table of every\n" +
			"run's final held-out metrics and settings). The same runs give the same README.md. --out may also\n" +
			"follow the run directories: causeway compare runs/a runs/b --out report/",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "write the plots and README.md to `DIR` (required; created if missing)"},
		},
		Action: runCompare,
	}
}

func runCompare(c *cli.Context) error {
	dirs, out, err := compareArgs(c.Args().Slice(), c.String("out"))
	if err != nil {
		return fmt.Errorf("compare: %w", err)
	}
	runs := make([]*report.Run, 0, len(dirs))
	for _, d := range dirs {
		r, err := report.Load(d)
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	written, err := report.Write(out, runs)
	if err != nil {
		return err
	}
	noun := "runs"
	if len(runs) == 1 {
		noun = "run"
	}
	fmt.Fprintf(c.App.Writer, "compared %d %s:\n", len(runs), noun)
	for _, p := range written {
		fmt.Fprintf(c.App.Writer, "  %s\n", p)
	}
	return nil
}

// compareArgs splits the arguments left after flag parsing into run
// directories and an --out given after them (urfave/cli stops parsing flags
// at the first argument); out is --out as given before them.
func compareArgs(args []string, out string) (dirs []string, _ string, err error) {
	setOut := func(v string) error {
		if out != "" {
			return errors.New("--out given twice")
		}
		if v == "" {
			return errors.New("--out needs a directory")
		}
		out = v
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			dirs = append(dirs, args[i+1:]...)
			i = len(args)
		case a == "--out" || a == "-out":
			if i+1 == len(args) {
				return nil, "", errors.New("--out needs a directory")
			}
			if err := setOut(args[i+1]); err != nil {
				return nil, "", err
			}
			i++
		case strings.HasPrefix(a, "--out=") || strings.HasPrefix(a, "-out="):
			if err := setOut(a[strings.IndexByte(a, '=')+1:]); err != nil {
				return nil, "", err
			}
		case strings.HasPrefix(a, "-") && a != "-":
			return nil, "", fmt.Errorf("unknown flag %s (compare takes only --out DIR)", a)
		default:
			dirs = append(dirs, a)
		}
	}
	if out == "" {
		return nil, "", errors.New("--out DIR is required")
	}
	if len(dirs) == 0 {
		return nil, "", errors.New("no run directories given (usage: causeway compare --out DIR RUN_DIR...)")
	}
	return dirs, out, nil
}
