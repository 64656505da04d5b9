// Command causeway trains prior-data fitted transformer networks on synthetic
// structural causal models, exports them to ONNX and serves them over REST.
//
// This file only wires the command-line interface; each command's flags live in
// a cmd_*.go file beside it and its work in the package that owns it.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

// version is the causeway release, overridden at build time with
// -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func newApp() *cli.App {
	app := &cli.App{
		Name:    "causeway",
		Usage:   "train, export and serve causal-discovery transformers (PFNs) on synthetic SCMs",
		Version: version,
		// "did you mean" for a mistyped command, and shell completion
		// (`causeway completion bash|zsh`).
		Suggest:              true,
		EnableBashCompletion: true,
		// A bad flag is one line naming it, not the command's whole help.
		OnUsageError: usageError,
		Commands: []*cli.Command{
			scmCommand(),
			trainCommand(),
			evalCommand(),
			compareCommand(),
			exportCommand(),
			predictCommand(),
			serveCommand(),
			healthcheckCommand(),
			versionCommand(),
		},
	}
	for _, c := range app.Commands {
		if c.OnUsageError == nil {
			c.OnUsageError = usageError
		}
	}
	return app
}

// usageError reports a command-line mistake in one line with where to look.
func usageError(c *cli.Context, err error, _ bool) error {
	if c.Command != nil && c.Command.Name != "" {
		return fmt.Errorf("%s: %w (see causeway %s --help)", c.Command.Name, err, c.Command.Name)
	}
	return fmt.Errorf("%w (see causeway --help)", err)
}

// versionCommand is `causeway version`.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the causeway version",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintf(c.App.Writer, "causeway %s\n", version)
			return err
		},
	}
}

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "causeway:", err)
		os.Exit(1)
	}
}
