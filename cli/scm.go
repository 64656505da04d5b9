package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"causeway/progress"
	"causeway/scm"
)

// scmCommand is `causeway scm`: generate synthetic SCM data sets on disk.
func scmCommand() *cli.Command {
	def := scm.DefaultConfig()
	return &cli.Command{
		Name:  "scm",
		Usage: "generate synthetic SCM data sets (graphs, observational and interventional samples)",
		Description: "Writes, per graph, DIR/graph-0000/{data.csv,adjacency.csv,graph.dot,scm.json}.\n" +
			"The same seed and flags give byte-identical output.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Required: true, Usage: "output directory (created if missing)"},
			&cli.IntFlag{Name: "nodes", Value: def.Nodes, Usage: "variables per graph (N ≥ 2)"},
			&cli.IntFlag{Name: "graphs", Value: 10, Usage: "number of graphs to write"},
			&cli.Uint64Flag{Name: "seed", Value: 7, Usage: "random seed; fixes every graph and sample"},
			&cli.IntFlag{Name: "workers", Usage: "graphs generated in parallel (0: one per core)"},
			&cli.BoolFlag{Name: "force", Usage: "write into a non-empty --out, first removing the graph-* directories of earlier runs"},
		}, priorFlags()...),
		Action: runSCM,
	}
}

func runSCM(c *cli.Context) error {
	cfg, err := scmConfigFromFlags(c)
	if err != nil {
		return err
	}
	count, out := c.Int("graphs"), c.String("out")
	if err := prepareOut(out, c.Bool("force")); err != nil {
		return fmt.Errorf("scm: %w", err)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()

	stdout := c.App.Writer
	// A bar when writing more than a few graphs; summary lines then clear
	// it first when both go to a terminal.
	var bar *progress.Reporter
	clearLine := ""
	if count > 5 {
		bar = progress.New(c.App.ErrWriter, count, "scm")
		if isTerminal(stdout) && isTerminal(c.App.ErrWriter) {
			clearLine = "\r\033[K"
		}
	}
	var total scm.Report
	edges := 0
	start := time.Now()
	err = scm.Write(ctx, out, cfg, count, c.Uint64("seed"), scm.WriteOptions{
		Workers: c.Int("workers"),
		Progress: func(s scm.Summary) {
			total = total.Add(s.Report)
			edges += s.Edges
			fmt.Fprintf(stdout, "%s%s  nodes %d  edges %d  %s\n", clearLine, scm.GraphDirName(s.Index), s.Nodes, s.Edges, s.Report)
			if bar != nil {
				bar.SetStatus(fmt.Sprintf("clipped %.1f%%", 100*total.ClipFraction()))
				bar.Add(1)
			}
		},
	})
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		if ctx.Err() != nil && c.Context.Err() == nil {
			return fmt.Errorf("scm: interrupted; the graph directories listed above are complete")
		}
		return err
	}
	fmt.Fprintf(stdout, "wrote %d graphs to %s in %.2fs: %d edges, %s\n",
		count, out, time.Since(start).Seconds(), edges, total)
	return nil
}

// prepareOut refuses a non-empty output directory (graphs of other settings
// would sit beside the new ones) unless force, which removes the graph-*
// directories already there.
func prepareOut(out string, force bool) error {
	entries, err := os.ReadDir(out)
	if err != nil || len(entries) == 0 {
		return nil // a missing or unusable directory is scm.Write's to report
	}
	if !force {
		return fmt.Errorf("--out %s is not empty (%d entries): choose another directory, or pass --force to replace its graph-* directories", out, len(entries))
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "graph-") {
			if err := os.RemoveAll(filepath.Join(out, e.Name())); err != nil {
				return fmt.Errorf("--force: %w", err)
			}
		}
	}
	return nil
}

// scmConfigFromFlags maps the flags onto an scm.Config.
func scmConfigFromFlags(c *cli.Context) (scm.Config, error) {
	cfg, err := priorFromFlags(c, scm.DefaultConfig())
	if err != nil {
		return cfg, err
	}
	cfg.Nodes = c.Int("nodes")
	switch {
	case cfg.Prior == scm.PriorNotebook && c.IsSet("degree"):
		return cfg, fmt.Errorf("--degree applies to the er and sf priors; the notebook prior uses --edge-prob")
	case cfg.Prior != scm.PriorNotebook && c.IsSet("edge-prob"):
		return cfg, fmt.Errorf("--edge-prob applies to the notebook prior; the %s prior uses --degree", cfg.Prior)
	}
	return cfg, nil
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
