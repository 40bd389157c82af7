package main

import (
	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/plugins/builtin"
)

// pluginCmd groups the entry points the host uses to run built-in stages
// as plugin processes; users never call it.
var pluginCmd = &cobra.Command{
	Use:    "plugin",
	Short:  "Internal plugin entry points",
	Hidden: true,
}

var pluginServeCmd = &cobra.Command{
	Use:   "serve NAME",
	Short: "Serve the built-in stage NAME over the plugin protocol",
	Args:  cobra.ExactArgs(1),
	RunE: func(_ *cobra.Command, args []string) error {
		return builtin.Serve(args[0])
	},
}

func init() {
	pluginCmd.AddCommand(pluginServeCmd)
	rootCmd.AddCommand(pluginCmd)
}
