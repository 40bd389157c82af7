package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

var validateFlags pipelineFlags

var validateCmd = &cobra.Command{
	Use:   "validate FILE",
	Short: "Check a pipeline file and report every problem at once",
	Long: `Loads the pipeline, resolves its references and evaluates variables, locals
and node configurations. It reads nothing but the file and writes nothing.
Stage config blocks are checked by plan, which asks each plugin for its schema.`,
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		b, err := validateFlags.bind(cmd, args[0])
		if err != nil {
			return err
		}
		if validateFlags.json {
			writeDiagsJSON(cmd.OutOrStdout(), nil)
			return nil
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s is valid: %d nodes\n", args[0], len(b.Nodes))
		return nil
	},
}

func init() {
	validateFlags.addVarFlags(validateCmd)
	validateCmd.Flags().BoolVar(&validateFlags.json, "json", false, "print diagnostics as JSON")
	rootCmd.AddCommand(validateCmd)
}

// exactArgs is cobra.ExactArgs with the usage exit code.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		return nil
	}
}
