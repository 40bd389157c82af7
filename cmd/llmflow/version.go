package main

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/pipeline"
)

var versionJSON bool

var versionCmd = &cobra.Command{
	Use:   "version",
	Short: "Print the llmflow version",
	Args:  exactArgs(0),
	RunE: func(cmd *cobra.Command, _ []string) error {
		if versionJSON {
			return writeJSON(cmd.OutOrStdout(), map[string]string{
				"version": pipeline.Version, "go": runtime.Version(), "platform": runtime.GOOS + "/" + runtime.GOARCH})
		}
		fmt.Fprintln(cmd.OutOrStdout(), versionLine())
		return nil
	},
}

func versionLine() string {
	return fmt.Sprintf("llmflow %s (%s, %s/%s)", pipeline.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func init() {
	versionCmd.Flags().BoolVar(&versionJSON, "json", false, "print JSON")
	rootCmd.AddCommand(versionCmd)
	rootCmd.Version = pipeline.Version
	rootCmd.SetVersionTemplate(versionLine() + "\n")
}
