package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/pipeline"
)

var (
	graphFlags  pipelineFlags
	graphFormat string
)

var graphCmd = &cobra.Command{
	Use:   "graph FILE",
	Short: "Print the pipeline's node graph as Graphviz DOT or Mermaid",
	Args:  exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		b, err := graphFlags.bind(cmd, args[0])
		if err != nil {
			return err
		}
		g := b.Config.Graph
		label := func(addr string) string { return nodeLabel(b.Config.Nodes[addr]) }
		switch graphFormat {
		case "dot":
			fmt.Fprint(cmd.OutOrStdout(), g.DOT("pipeline", label))
		case "mermaid":
			fmt.Fprint(cmd.OutOrStdout(), g.Mermaid(label))
		default:
			return fmt.Errorf("%w: --format must be dot or mermaid, not %q", errUsage, graphFormat)
		}
		return nil
	},
}

// nodeLabel shows a stage's kind next to its address.
func nodeLabel(n *pipeline.Node) string {
	if n.Type == "stage" {
		return n.Addr + " (" + n.Kind + ")"
	}
	return n.Addr
}

func init() {
	graphFlags.addVarFlags(graphCmd)
	graphCmd.Flags().StringVar(&graphFormat, "format", "dot", "output format: dot or mermaid")
	rootCmd.AddCommand(graphCmd)
}
