package main

import "github.com/urfave/cli/v2"

// predictCommand is a placeholder until the issue that owns `causeway predict` lands.
func predictCommand() *cli.Command {
	return pending("predict", "run an exported model on a request or CSV")
}
