package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/pipeline"
)

var (
	planFlags        pipelineFlags
	planDetailedExit bool
)

// hasWork reports whether running the plan would do anything.
func hasWork(p *pipeline.Plan) bool {
	for _, n := range p.Nodes {
		if n.Action != pipeline.ActionCached {
			return true
		}
	}
	return false
}

var planCmd = &cobra.Command{
	Use:   "plan FILE",
	Short: "Show which nodes are cached and which will run, and why",
	Long: `Computes every node's cache key and compares it with the artifact store and
the run history. A node is cached, will run (new, config changed, input
changed, plugin changed, --no-cache) or is blocked. A node that runs because something changed
lists the changes under it, as terraform plan does: "~ max_steps = 300 -> 200"
for a config attribute, the digests of an input that changed, and "resume
from step N" for a training stage whose interrupted run left a checkpoint.
Plan writes nothing.

With --detailed-exitcode, plan exits 0 when every node is cached, 2 when
something would run (or is blocked), and 1 on error, for scripts.`,
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		if err := useLockFile(args[0], false); err != nil {
			return err
		}
		p, _, closeFn, err := planFlags.plan(cmd, args[0])
		if err != nil {
			return err
		}
		defer closeFn()
		defer closeStageRunner()
		if planFlags.json {
			err = writePlanJSON(cmd.OutOrStdout(), p)
		} else {
			writePlanText(cmd.OutOrStdout(), p)
		}
		if err == nil && planDetailedExit && hasWork(p) {
			return errPlanChanges
		}
		return err
	},
}

func init() {
	planFlags.addVarFlags(planCmd)
	planFlags.addStoreFlags(planCmd)
	planCmd.Flags().BoolVar(&planFlags.noCache, "no-cache", false, "plan as if nothing were cached")
	planCmd.Flags().BoolVar(&planFlags.json, "json", false, "print the plan as JSON")
	planCmd.Flags().BoolVar(&planDetailedExit, "detailed-exitcode", false, "exit 0 when nothing would run, 2 when something would, 1 on error")
	rootCmd.AddCommand(planCmd)
}

func writePlanText(w io.Writer, p *pipeline.Plan) {
	counts := map[string]int{}
	fmt.Fprintf(w, "Plan for %s:\n", p.Bound.Config.Filename)
	for _, n := range p.Nodes {
		fmt.Fprintln(w, n.String())
		counts[n.Action]++
	}
	fmt.Fprintf(w, "\n%d to run, %d cached, %d blocked.\n",
		counts[pipeline.ActionRun], counts[pipeline.ActionCached], counts[pipeline.ActionBlocked])
}

func writePlanJSON(w io.Writer, p *pipeline.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Pipeline string               `json:"pipeline"`
		Nodes    []*pipeline.NodePlan `json:"nodes"`
	}{p.Bound.Config.Filename, p.Nodes})
}
