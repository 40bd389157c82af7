package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

var (
	runsFlags pipelineFlags
	runsLimit int
)

var runsCmd = &cobra.Command{
	Use:   "runs",
	Short: "List and inspect recorded runs",
}

var runsListCmd = &cobra.Command{
	Use:   "list",
	Short: "List runs, newest first",
	Args:  exactArgs(0),
	RunE: func(cmd *cobra.Command, _ []string) error {
		db, err := runstore.OpenReadOnly(runsFlags.db)
		if err != nil {
			return fmt.Errorf("%w: no run database at %s", errNotFound, runsFlags.db)
		}
		defer db.Close()
		runs, err := db.ListRuns(cmd.Context(), runstore.ListOptions{Limit: runsLimit})
		if err != nil {
			return err
		}
		if runsFlags.json {
			return writeJSON(cmd.OutOrStdout(), runs)
		}
		writeRunList(cmd.OutOrStdout(), runs)
		return nil
	},
}

func init() {
	runsCmd.PersistentFlags().StringVar(&runsFlags.db, "db", defaultDB, "run database file")
	runsCmd.PersistentFlags().BoolVar(&runsFlags.json, "json", false, "print JSON")
	runsListCmd.Flags().IntVar(&runsLimit, "limit", 20, "show at most this many runs (0: all)")
	runsCmd.AddCommand(runsListCmd)
	rootCmd.AddCommand(runsCmd)
}

func writeRunList(w io.Writer, runs []runstore.RunSummary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTATUS\tSTARTED\tDURATION\tPIPELINE\tNODES")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, r.StartedAt.UTC().Format(time.DateTime),
			duration(r.StartedAt, r.FinishedAt), r.PipelineFile, nodeCounts(r.Nodes))
	}
	tw.Flush()
}

// nodeCounts renders status counts in a fixed order.
func nodeCounts(m map[string]int) string {
	var parts []string
	for _, s := range []string{"succeeded", "cached", "failed", "skipped", "interrupted", "running"} {
		if m[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", m[s], s))
		}
	}
	return strings.Join(parts, ", ")
}

func duration(start, end time.Time) string {
	if end.IsZero() {
		return "-"
	}
	return end.Sub(start).Round(time.Millisecond).String()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
