package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/cmd/llmflow/runview"
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
			runview.Duration(r.StartedAt, r.FinishedAt), r.PipelineFile, runview.NodeCounts(r.Nodes))
	}
	tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
