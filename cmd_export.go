package main

import "github.com/urfave/cli/v2"

// exportCommand is a placeholder until the issue that owns `causeway export` lands.
func exportCommand() *cli.Command { return pending("export", "export a checkpoint to ONNX") }
