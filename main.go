// Command causeway trains prior-data fitted transformer networks on synthetic
// structural causal models, exports them to ONNX and serves them over REST.
//
// This file is only the entry point: the command-line interface is package
// cli (causeway/cli), each command's work is in the package that owns it.
package main

import (
	"os"

	"causeway/cli"
)

// version is the causeway release, overridden at build time with
// -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	os.Exit(cli.Main(os.Args, version))
}
