package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/pipeline"
)

var validateFlags pipelineFlags

var validateCmd = &cobra.Command{
	Use:   "validate FILE",
	Short: "Check a pipeline file and report every problem at once",
	Long: `Loads the pipeline, resolves its references and evaluates variables, locals
and node configurations, and checks every stage of a built-in kind (inputs and
config block) against the schema the stage describes, without starting a
process. An external plugin's binary is checked against its pinned checksum;
its config block is checked by plan, which starts the plugin to ask for its
schema. validate writes nothing.`,
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		b, err := validateFlags.bind(cmd, args[0])
		if err != nil {
			return err
		}
		runner, err := newStaticRunner(args[0])
		if err != nil {
			return err
		}
		pl := &pipeline.Planner{Runner: runner}
		if err := validateFlags.report(cmd, b.Config, pl.Check(cmd.Context(), b), args[0]); err != nil {
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
