package main

import "github.com/urfave/cli/v2"

// trainCommand is a placeholder until the issue that owns `causeway train` lands.
func trainCommand() *cli.Command { return pending("train", "train a model variant") }
