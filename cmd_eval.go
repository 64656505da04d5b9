package main

import "github.com/urfave/cli/v2"

// evalCommand is a placeholder until the issue that owns `causeway eval` lands.
func evalCommand() *cli.Command { return pending("eval", "evaluate a checkpoint on held-out graphs") }
