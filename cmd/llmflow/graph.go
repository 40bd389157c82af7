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
		format := graphFormat
		if graphFlags.json {
			format = "json"
		}
		switch format {
		case "json":
			return writeGraphJSON(cmd, b)
		case "dot":
			fmt.Fprint(cmd.OutOrStdout(), g.DOT("pipeline", label))
		case "mermaid":
			fmt.Fprint(cmd.OutOrStdout(), g.Mermaid(label))
		default:
			return fmt.Errorf("%w: --format must be dot, mermaid or json, not %q", errUsage, graphFormat)
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
	graphCmd.Flags().StringVar(&graphFormat, "format", "dot", "output format: dot, mermaid or json")
	graphCmd.Flags().BoolVar(&graphFlags.json, "json", false, "print the graph as JSON (same as --format json)")
	rootCmd.AddCommand(graphCmd)
}

// graphNode is a node of graph --json.
type graphNode struct {
	Addr      string   `json:"node"`
	Type      string   `json:"type"`
	Kind      string   `json:"kind,omitempty"` // a stage's plugin
	DependsOn []string `json:"depends_on"`
}

// writeGraphJSON prints the nodes in dependency order with their edges.
func writeGraphJSON(cmd *cobra.Command, b *pipeline.Bound) error {
	order, err := b.Config.Graph.TopoOrder()
	if err != nil {
		return err
	}
	nodes := make([]graphNode, 0, len(order))
	for _, addr := range order {
		n := b.Config.Nodes[addr]
		gn := graphNode{Addr: addr, Type: n.Type, DependsOn: b.Config.Graph.DependenciesOf(addr)}
		if gn.DependsOn == nil {
			gn.DependsOn = []string{}
		}
		if n.Type == "stage" {
			gn.Kind = n.Kind
		}
		nodes = append(nodes, gn)
	}
	return writeJSON(cmd.OutOrStdout(), struct {
		Pipeline string      `json:"pipeline"`
		Nodes    []graphNode `json:"nodes"`
	}{b.Config.Filename, nodes})
}
