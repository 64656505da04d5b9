package main

import "github.com/urfave/cli/v2"

// serveCommand is a placeholder until the issue that owns `causeway serve` lands.
func serveCommand() *cli.Command { return pending("serve", "serve exported models over REST") }
