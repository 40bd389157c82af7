package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/cmd/llmflow/runview"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

var runsShowCmd = &cobra.Command{
	Use:   "show RUN",
	Short: "Show a run: nodes, status, timings, artifacts with digests and metrics",
	Long:  `RUN is a run id, a unique prefix of one, or "latest".`,
	Args:  exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		d, err := loadRun(cmd, runsFlags.db, args[0])
		if err != nil {
			return err
		}
		if runsFlags.json {
			d.Source = ""
			return writeJSON(cmd.OutOrStdout(), d)
		}
		writeRunDetail(cmd.OutOrStdout(), d)
		return nil
	},
}

func init() { runsCmd.AddCommand(runsShowCmd) }

func loadRun(cmd *cobra.Command, dbPath, ref string) (*runstore.RunDetail, error) {
	db, id, err := openRun(cmd, dbPath, ref)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.GetRun(cmd.Context(), id)
}

func writeRunDetail(w io.Writer, d *runstore.RunDetail) {
	fmt.Fprintf(w, "Run:       %s\nPipeline:  %s\nStatus:    %s\nStarted:   %s\nDuration:  %s\nVersion:   %s\nHost:      %s/%s, %d CPUs, GOMAXPROCS %d, %s\nVariables: %s\n",
		d.ID, d.PipelineFile, d.Status, d.StartedAt.UTC().Format("2006-01-02 15:04:05"), runview.Duration(d.StartedAt, d.FinishedAt),
		d.Version, d.Host.OS, d.Host.Arch, d.Host.NumCPU, d.Host.GOMAXPROCS, d.Host.GoVersion, string(d.Variables))
	if d.Error != "" {
		fmt.Fprintf(w, "Error:     %s\n", d.Error)
	}
	fmt.Fprintln(w, "\nNodes:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tKIND\tSTATUS\tATTEMPT\tDURATION\tERROR")
	for _, n := range d.Nodes {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", n.Addr, n.Kind, n.Status, n.Attempt, runview.Duration(n.StartedAt, n.FinishedAt), n.Error)
	}
	tw.Flush()
	fmt.Fprintln(w, "\nOutputs:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	kinds := map[string]runstore.Artifact{}
	for _, a := range d.Artifacts {
		kinds[a.Digest] = a
	}
	for _, e := range d.Lineage {
		if e.Role == runstore.RoleOutput {
			a := kinds[e.Digest]
			rows := "-" // only datasets have rows
			if strings.HasPrefix(a.Kind, "dataset/") {
				rows = fmt.Sprintf("%d rows", a.Rows)
			}
			fmt.Fprintf(tw, "  %s.%s\t%s\t%s\t%s\t%d bytes\n", e.Addr, e.Name, e.Digest, a.Kind, rows, a.Bytes)
		}
	}
	tw.Flush()
	writeRunOutputs(w, d)
	writeRunPlugins(w, d)
	if len(d.Metrics) == 0 {
		return
	}
	fmt.Fprintln(w, "\nMetrics:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tNAME\tLAST\tMIN\tMAX\tPOINTS")
	for _, m := range d.Metrics {
		fmt.Fprintf(tw, "  %s\t%s\t%.6g\t%.6g\t%.6g\t%d\n", m.Addr, m.Name, m.Last, m.Min, m.Max, m.Count)
	}
	tw.Flush()
}

// writeRunOutputs lists the pipeline's named outputs.
func writeRunOutputs(w io.Writer, d *runstore.RunDetail) {
	if len(d.Outputs) == 0 {
		return
	}
	fmt.Fprintln(w, "\nPipeline outputs:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, name := range slices.Sorted(maps.Keys(d.Outputs)) {
		a := d.Outputs[name]
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", name, a.Digest, a.Kind)
	}
	tw.Flush()
}

// writeRunPlugins lists each plugin that ran a node once.
func writeRunPlugins(w io.Writer, d *runstore.RunDetail) {
	ps := runview.RunPlugins(d)
	if len(ps) == 0 {
		return
	}
	fmt.Fprintln(w, "\nPlugins:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tVERSION\tSOURCE\tSHA256")
	for _, p := range ps {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, p.Version, p.Source, p.SHA256)
	}
	tw.Flush()
}
