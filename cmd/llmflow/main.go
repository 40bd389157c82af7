// Command llmflow runs declarative LLM training pipelines written in HCL.
package main

import (
	"os"

	"github.com/spf13/cobra"
)

// rootCmd is the top of the command tree; every command lives in a file of
// its own and attaches itself with rootCmd.AddCommand in an init function.
var rootCmd = &cobra.Command{
	Use:           "llmflow",
	Short:         "Run declarative, reproducible LLM training pipelines",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	os.Exit(execute())
}

// execute runs the command tree and maps its error to an exit code.
func execute() int {
	if err := rootCmd.Execute(); err != nil {
		os.Stderr.WriteString("Error: " + err.Error() + "\n")
		return 1
	}
	return 0
}
