package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/cmd/llmflow/runview"
)

var diffFlags struct {
	db      string
	json    bool
	changed bool
}

var diffCmd = &cobra.Command{
	Use:   "diff RUN_A RUN_B",
	Short: "Compare two runs: variables, node configs, plugins, inputs, outputs and final metrics",
	Long: `RUN_A and RUN_B are run ids, unique prefixes of them, or "latest". Each node is
compared at its last attempt: status, config attributes (old -> new), plugin
name, version, source and sha256, input digests and output digests. Final
metric values (the last point of every series) are printed side by side;
--changed keeps only those that differ.`,
	Args: exactArgs(2),
	RunE: func(cmd *cobra.Command, args []string) error {
		a, err := loadRun(cmd, diffFlags.db, args[0])
		if err != nil {
			return err
		}
		b, err := loadRun(cmd, diffFlags.db, args[1])
		if err != nil {
			return err
		}
		d := runview.Compare(a, b)
		if diffFlags.json {
			return writeJSON(cmd.OutOrStdout(), d)
		}
		writeDiff(cmd.OutOrStdout(), d, diffFlags.changed)
		return nil
	},
}

func init() {
	diffCmd.Flags().StringVar(&diffFlags.db, "db", defaultDB, "run database file")
	diffCmd.Flags().BoolVar(&diffFlags.json, "json", false, "print JSON")
	diffCmd.Flags().BoolVar(&diffFlags.changed, "changed", false, "print only the metrics whose final values differ")
	rootCmd.AddCommand(diffCmd)
}

func writeDiff(w io.Writer, d *runview.Diff, onlyChanged bool) {
	fmt.Fprintf(w, "a: %s (%s, %s)\nb: %s (%s, %s)\n", d.A.ID, d.A.Pipeline, d.A.Status, d.B.ID, d.B.Pipeline, d.B.Status)
	if len(d.Variables) > 0 {
		fmt.Fprintln(w, "\nVariables:")
		for _, c := range d.Variables {
			fmt.Fprintln(w, changeLine("  ", c))
		}
	}
	fmt.Fprintln(w, "\nNodes:")
	if len(d.Nodes) == 0 {
		fmt.Fprintln(w, "  no differences")
	}
	for _, n := range d.Nodes {
		switch n.Only {
		case "a":
			fmt.Fprintf(w, "  - %s (only in a)\n", n.Node)
			continue
		case "b":
			fmt.Fprintf(w, "  + %s (only in b)\n", n.Node)
			continue
		}
		fmt.Fprintf(w, "  ~ %s\n", n.Node)
		if n.Status != nil {
			fmt.Fprintln(w, changeLine("      ", *n.Status))
		}
		for _, group := range []struct {
			prefix string
			cs     []runview.Change
		}{{"", n.Config}, {"plugin ", n.Plugin}, {"input ", n.Inputs}, {"output ", n.Outputs}} {
			for _, c := range group.cs {
				c.Name = group.prefix + c.Name
				fmt.Fprintln(w, changeLine("      ", c))
			}
		}
	}
	writeMetricPairs(w, d.Metrics, onlyChanged)
}

// changeLine renders a change as terraform does: ~ name = old -> new.
func changeLine(indent string, c runview.Change) string {
	switch {
	case c.A == "":
		return fmt.Sprintf("%s+ %s = %s", indent, c.Name, c.B)
	case c.B == "":
		return fmt.Sprintf("%s- %s = %s", indent, c.Name, c.A)
	}
	return fmt.Sprintf("%s~ %s = %s -> %s", indent, c.Name, c.A, c.B)
}

func writeMetricPairs(w io.Writer, ms []runview.MetricPair, onlyChanged bool) {
	fmt.Fprintln(w, "\nFinal metrics:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tNAME\tA\tB\tCHANGE")
	for _, m := range ms {
		same := m.A != nil && m.B != nil && *m.A == *m.B
		if onlyChanged && same {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", m.Node, m.Name, num(m.A), num(m.B), delta(m.A, m.B))
	}
	tw.Flush()
}

func num(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', 6, 64)
}

// delta is the relative change from a to b; "" when equal or unknown.
func delta(a, b *float64) string {
	if a == nil || b == nil || *a == *b {
		return ""
	}
	if *a == 0 {
		return "new"
	}
	return fmt.Sprintf("%+.1f%%", (*b-*a)/math.Abs(*a)*100)
}
