package main

import (
	"bytes"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/cmd/llmflow/runview"
	"github.com/llmflow/llmflow/pipeline"
)

var reportFlags struct{ out, store, db string }

var reportCmd = &cobra.Command{
	Use:   "report RUN [-o report.html]",
	Short: "Write a run as one self-contained HTML file: graph, curves, funnel, evals, plugins, artifacts",
	Long: `RUN is a run id, a unique prefix of one, or "latest". The file needs no network
and no llmflow to open: styles, chart data and the charting library (uPlot) are
inline. It shows the run's node graph with status and time, loss, learning-rate
and throughput curves per training stage (train and validation loss on one
chart, continuous across resumed attempts), the dataprep funnel (rows in and
out, drops per cleaning rule, PII per type), eval scores and samples, plugins
with their checksums, and every input and output with its digest.
-o - writes to standard output; the default is report-RUN.html.`,
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		db, id, err := openRun(cmd, reportFlags.db, args[0])
		if err != nil {
			return err
		}
		defer db.Close()
		store, _ := artifact.OpenStore(reportFlags.store) // without a store the report has no eval samples
		page, err := runview.BuildRun(cmd.Context(), db, store, id)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := runview.WriteReport(&buf, page, pipeline.Version); err != nil {
			return err
		}
		out := reportFlags.out
		if out == "-" {
			_, err := cmd.OutOrStdout().Write(buf.Bytes())
			return err
		}
		if out == "" {
			out = "report-" + id + ".html"
		}
		if err := artifact.WriteFileAtomic(out, buf.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s)\n", out, formatBytes(int64(buf.Len())))
		return nil
	},
}

func init() {
	reportCmd.Flags().StringVarP(&reportFlags.out, "output", "o", "", "HTML file to write (-: standard output; default report-RUN.html)")
	reportCmd.Flags().StringVar(&reportFlags.store, "store", defaultStore, "artifact store directory (eval reports are read from it)")
	reportCmd.Flags().StringVar(&reportFlags.db, "db", defaultDB, "run database file")
	rootCmd.AddCommand(reportCmd)
}
