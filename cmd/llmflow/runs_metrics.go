package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/cmd/llmflow/runview"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

var (
	metricsNode   string
	metricsFormat string
)

var runsMetricsCmd = &cobra.Command{
	Use:   "metrics RUN",
	Short: "Print every metric point of a run (node, attempt, step, name, value) as CSV or JSON",
	Long: `RUN is a run id, a unique prefix of one, or "latest". --node keeps the points
of one node (e.g. stage.tiny). NaN and infinite values are written as NaN in
CSV and null in JSON.`,
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		format := metricsFormat
		if runsFlags.json {
			format = "json"
		}
		if format != "csv" && format != "json" {
			return fmt.Errorf("%w: --format must be csv or json, not %q", errUsage, metricsFormat)
		}
		db, id, err := openRun(cmd, runsFlags.db, args[0])
		if err != nil {
			return err
		}
		defer db.Close()
		ms, err := db.RunMetrics(cmd.Context(), id, metricsNode)
		if err != nil {
			return err
		}
		if len(ms) == 0 && metricsNode != "" {
			return fmt.Errorf("run %s has no metrics of node %q: %w", id, metricsNode, errNotFound)
		}
		if format == "json" {
			return writeJSON(cmd.OutOrStdout(), jsonMetrics(ms))
		}
		return writeMetricsCSV(cmd.OutOrStdout(), ms)
	},
}

func init() {
	runsMetricsCmd.Flags().StringVar(&metricsNode, "node", "", "only the metrics of this node, e.g. stage.tiny")
	runsMetricsCmd.Flags().StringVar(&metricsFormat, "format", "csv", "output format: csv or json")
	runsCmd.AddCommand(runsMetricsCmd)
}

// openRun opens the run database read-only and resolves ref to a run id.
func openRun(cmd *cobra.Command, dbPath, ref string) (*runstore.Store, string, error) {
	db, err := runstore.OpenReadOnly(dbPath)
	if err != nil {
		return nil, "", fmt.Errorf("%w: no run database at %s", errNotFound, dbPath)
	}
	id, err := db.ResolveRunID(cmd.Context(), ref)
	if err != nil {
		db.Close()
		return nil, "", err
	}
	return db, id, nil
}

func writeMetricsCSV(w io.Writer, ms []runstore.NodeMetric) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"node", "attempt", "step", "name", "value"})
	for _, m := range ms {
		cw.Write([]string{m.Node, strconv.Itoa(m.Attempt), strconv.FormatInt(m.Step, 10), m.Name,
			strconv.FormatFloat(m.Value, 'g', -1, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// jsonMetric is a NodeMetric whose NaN value encodes as null.
type jsonMetric struct {
	Node    string   `json:"node,omitempty"`
	Attempt int      `json:"attempt,omitempty"`
	Step    int64    `json:"step"`
	Name    string   `json:"name"`
	Value   *float64 `json:"value"`
}

func jsonMetrics(ms []runstore.NodeMetric) []jsonMetric {
	out := make([]jsonMetric, len(ms))
	for i, m := range ms {
		out[i] = jsonMetric{Node: m.Node, Attempt: m.Attempt, Step: m.Step, Name: m.Name, Value: runview.Finite(m.Value)}
	}
	return out
}
