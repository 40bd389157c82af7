// Command llmflow runs declarative LLM training pipelines written in HCL.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// rootCmd is the top of the command tree; every command lives in a file of
// its own and attaches itself with rootCmd.AddCommand in an init function.
var rootCmd = &cobra.Command{
	Use:           "llmflow",
	Short:         "Run declarative, reproducible LLM training pipelines",
	SilenceUsage:  true,
	SilenceErrors: true,
	Long: `llmflow runs LLM training pipelines written in HCL: it loads the pipeline,
plans which nodes are cached, runs the rest in parallel and records every
run in a SQLite database so it can be listed and reproduced.

Environment: LLMFLOW_VAR_name sets variable "name"; LLMFLOW_LOG (debug, info,
warn, error; default warn) sets how much of the plugins' own output and the
plugin host's log reaches stderr.

` + exitCodeHelp,
}

func init() {
	// Flag errors are usage errors, mapped to their own exit code.
	rootCmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return fmt.Errorf("%w: %v", errUsage, err)
	})
}

func main() {
	os.Exit(execute())
}

// execute runs the command tree and maps its error to an exit code.
func execute() int {
	rejectUnknownSubcommands(rootCmd)
	rootCmd.SetArgs(longVarFlags(os.Args[1:]))
	err := usageError(rootCmd.Execute())
	if err != nil && !errors.Is(err, errInvalid) && !errors.Is(err, errPlanChanges) { // diagnostics or the plan were printed already
		os.Stderr.WriteString("Error: " + err.Error() + "\n")
	}
	return exitCode(err)
}

// longVarFlags accepts the single-dash spellings -var and -var-file that
// HCL tools use, by rewriting them to the double-dash flags cobra parses.
func longVarFlags(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		for _, name := range []string{"-var", "-var-file"} {
			if a == name || strings.HasPrefix(a, name+"=") {
				a = "-" + a
			}
		}
		out[i] = a
	}
	return out
}

// usageError marks the command-line mistakes cobra reports as plain errors
// (it has no types for them) as usage errors, so they exit 2.
func usageError(err error) error {
	if err == nil || errors.Is(err, errUsage) {
		return err
	}
	msg := err.Error()
	for _, prefix := range []string{"unknown command ", "required flag(s) ", "accepts ", "invalid argument "} {
		if strings.HasPrefix(msg, prefix) {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
	}
	return err
}

// rejectUnknownSubcommands makes a command group (runs, plugins, ...)
// given an unknown subcommand fail with a usage error, as the root does;
// cobra would print the group's help and exit 0. Without arguments a group
// still prints its help.
func rejectUnknownSubcommands(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		rejectUnknownSubcommands(c)
		if !c.HasSubCommands() || c.Runnable() {
			continue
		}
		c.Args = func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unknown command %q for %q", errUsage, args[0], c.CommandPath())
			}
			return nil
		}
		c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	}
}
