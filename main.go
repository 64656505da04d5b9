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
	return &cli.App{
		Name:    "causeway",
		Usage:   "train, export and serve causal-discovery transformers (PFNs) on synthetic SCMs",
		Version: version,
		Commands: []*cli.Command{
			scmCommand(),
			trainCommand(),
			evalCommand(),
			compareCommand(),
			exportCommand(),
			predictCommand(),
			serveCommand(),
			healthcheckCommand(),
		},
	}
}

func main() {
	if err := newApp().Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "causeway:", err)
		os.Exit(1)
	}
}
