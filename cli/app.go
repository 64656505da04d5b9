// Package cli is causeway's command-line interface: the causeway binary's
// main (the repository root's main.go) only calls Main.
//
// This file wires the commands together; each command's flags live in a
// file of its name beside it (scm.go, train.go, ...) and its work in the
// package that owns it.
package cli

import (
	"causeway/internal/gemm"
	"fmt"
	"os"
	"runtime"

	"github.com/urfave/cli/v2"
)

// Main runs the causeway command line args (args[0] is the program name) as
// the release version and returns the process's exit code: 0, or 1 after
// printing the error on standard error. (A command that needs another code,
// train's 130 when interrupted, exits through urfave/cli's cli.Exit.)
func Main(args []string, version string) int {
	if p := gemm.Problem(); p != "" {
		fmt.Fprintln(os.Stderr, "causeway: warning:", p)
	}
	if err := NewApp(version).Run(args); err != nil {
		fmt.Fprintln(os.Stderr, "causeway:", err)
		return 1
	}
	return 0
}

// NewApp returns the causeway application of release version (what
// `causeway version` prints and the commands record: c.App.Version).
func NewApp(version string) *cli.App {
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
			completionCommand(),
		},
	}
	check := os.Getenv(ExampleCheckEnv) == "1"
	for _, c := range app.Commands {
		if c.OnUsageError == nil {
			c.OnUsageError = usageError
		}
		if check && c.Action != nil {
			c.Action = exampleCheckAction
		}
	}
	return app
}

// ExampleCheckEnv names the environment variable of the README-example check
// (the repository root's readme_examples_test.go): with
// CAUSEWAY_EXAMPLE_CHECK=1 every command parses its flags and arguments as usual (an unknown flag or a value of the
// wrong type fails as it would), has its arguments checked (a command that
// takes none refuses any, as a flag after an argument would be ignored;
// compare's and completion's are checked as they check them) and then exits
// 0 without doing its work. It is how the test holds examples to the CLI that
// are too long to run (an hour of training) or need files a fresh clone lacks
// (a checkpoint). Checks a command makes of its flags' values inside its
// action (for example that --prior names a known prior) are not made.
const ExampleCheckEnv = "CAUSEWAY_EXAMPLE_CHECK"

// exampleArgChecks are the argument checks of the commands that take
// arguments, under ExampleCheckEnv.
var exampleArgChecks = map[string]func(c *cli.Context) error{
	"compare": func(c *cli.Context) error {
		_, _, err := compareArgs(c.Args().Slice(), c.String("out"))
		return err
	},
	"completion": func(c *cli.Context) error {
		if c.Args().First() != "bash" || c.NArg() > 1 {
			return fmt.Errorf("completion: give the shell: bash")
		}
		return nil
	},
}

// exampleCheckAction replaces every command's action under ExampleCheckEnv.
func exampleCheckAction(c *cli.Context) error {
	name := c.Command.Name
	if check, ok := exampleArgChecks[name]; ok {
		if err := check(c); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	} else if c.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q (a flag after it is not parsed)", name, c.Args().First())
	}
	_, err := fmt.Fprintf(c.App.ErrWriter, "causeway %s: %s=1: the command line parses; not run\n", name, ExampleCheckEnv)
	return err
}

// usageError reports a command-line mistake in one line with where to look.
func usageError(c *cli.Context, err error, _ bool) error {
	if c.Command != nil && c.Command.Name != "" {
		return fmt.Errorf("%s: %w (see causeway %s --help)", c.Command.Name, err, c.Command.Name)
	}
	return fmt.Errorf("%w (see causeway --help)", err)
}

// bashCompletion completes causeway's commands and flags in bash by asking
// the binary itself (urfave/cli's --generate-bash-completion).
const bashCompletion = `_causeway_complete() {
  local cur="${COMP_WORDS[COMP_CWORD]}" words=("${COMP_WORDS[@]:0:COMP_CWORD}")
  local opts
  if [[ "$cur" == -* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "$opts" -- "$cur"))
}
complete -o bashdefault -o default -F _causeway_complete causeway
`

// completionCommand is `causeway completion bash`: a completion script.
func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script: source <(causeway completion bash)",
		ArgsUsage: "bash",
		Action: func(c *cli.Context) error {
			if c.Args().First() != "bash" {
				return fmt.Errorf("completion: give the shell: bash")
			}
			_, err := fmt.Fprint(c.App.Writer, bashCompletion)
			return err
		},
	}
}

// versionCommand is `causeway version`.
func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the causeway version, its Go toolchain and platform, and the matrix-kernel path (and, with AVX-512, its tile-shape measurement)",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintf(c.App.Writer, "causeway %s (%s %s/%s, gemm %s)\n", c.App.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH, gemm.Current())
			if t := gemm.Tuning(); err == nil && t != "" {
				_, err = fmt.Fprintf(c.App.Writer, "gemm tiles: %s\n", t)
			}
			return err
		},
	}
}
