package main

import "github.com/urfave/cli/v2"

// scmCommand is a placeholder until the issue that owns `causeway scm` lands.
func scmCommand() *cli.Command { return pending("scm", "generate synthetic SCM data sets") }
