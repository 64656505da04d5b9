package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// pending returns a command whose action fails with "not implemented yet";
// each is replaced by its real cmd_*.go file as the issue that owns it lands.
func pending(name, usage string) *cli.Command {
	return &cli.Command{
		Name:  name,
		Usage: usage + " (not implemented yet)",
		Action: func(*cli.Context) error {
			return cli.Exit(fmt.Sprintf("causeway %s: not implemented yet", name), 2)
		},
	}
}
