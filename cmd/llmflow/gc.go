package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/runstore"
	"github.com/llmflow/llmflow/pipeline/slurm"
)

var (
	gcFlags  pipelineFlags
	gcDryRun bool
)

var gcCmd = &cobra.Command{
	Use:   "gc",
	Short: "Remove artifacts no recorded run references, and leftovers of killed runs",
	Long: `Removes from the store every artifact that no run in the run database
produced or consumed, node cache entries that point at removed artifacts, and
whatever killed processes left in the store's tmp directory, including the
work directories that would let a killed training stage resume, and the
directories of jobs run on a cluster: a failed node's stays, with its logs,
as long as its run is recorded, and one whose Slurm job may still be queued
or running is never removed. It refuses while a run uses the store.
--dry-run prints what would go without removing.`,
	Args: exactArgs(0),
	RunE: func(cmd *cobra.Command, _ []string) error {
		store, err := artifact.OpenStore(gcFlags.store)
		if err != nil {
			return err
		}
		db, err := runstore.OpenReadOnly(gcFlags.db)
		if err != nil {
			// Without the runs there is nothing to tell garbage from results.
			return fmt.Errorf("%w: no run database at %s; gc keeps what recorded runs reference", errNotFound, gcFlags.db)
		}
		defer db.Close()
		lock, err := store.TryExclusive()
		if le := (*artifact.LockedError)(nil); errors.As(err, &le) {
			return fmt.Errorf("store %s is in use by a running llmflow%s; run gc when it has finished", store.Dir(), runningRuns(cmd, db))
		}
		if err != nil {
			return err
		}
		defer lock.Release()
		keep, err := db.ReferencedDigests(cmd.Context())
		if err != nil {
			return err
		}
		removed, err := store.GC(artifact.GCOptions{Keep: func(d string) bool { return keep[d] }, DryRun: gcDryRun})
		if err == nil {
			var jobs []artifact.Removed
			jobs, err = collectJobs(cmd, store, db)
			removed = append(removed, jobs...)
		}
		writeRemoved(cmd.OutOrStdout(), removed, gcDryRun)
		return err
	},
}

func init() {
	gcCmd.Flags().StringVar(&gcFlags.store, "store", defaultStore, "artifact store directory")
	gcCmd.Flags().StringVar(&gcFlags.db, "db", defaultDB, "run database whose runs' artifacts are kept")
	gcCmd.Flags().BoolVar(&gcDryRun, "dry-run", false, "print what would be removed, remove nothing")
	rootCmd.AddCommand(gcCmd)
}

// collectJobs removes the job directories of nodes no recorded run saw
// fail, unless their Slurm job may still run; what it cannot tell about
// stays and is named on stderr.
func collectJobs(cmd *cobra.Command, store *artifact.Store, db *runstore.Store) ([]artifact.Removed, error) {
	failed, err := db.FailedKeys(cmd.Context())
	if err != nil {
		return nil, err
	}
	removed, notes, err := pipeline.CollectJobs(cmd.Context(), store, pipeline.JobGCOptions{
		Keep: func(key string) bool { return failed[key] }, Watchers: []pipeline.JobWatcher{slurm.New()}, DryRun: gcDryRun})
	for _, n := range notes {
		fmt.Fprintln(cmd.ErrOrStderr(), "Warning: "+n)
	}
	return removed, err
}

// runningRuns names the runs the database shows as running, for messages.
func runningRuns(cmd *cobra.Command, db *runstore.Store) string {
	runs, err := db.ListRuns(cmd.Context(), runstore.ListOptions{Status: runstore.StatusRunning})
	if err != nil || len(runs) == 0 {
		return ""
	}
	s := " (run"
	for i, r := range runs {
		if i > 0 {
			s += ","
		}
		s += " " + r.ID
	}
	return s + ")"
}

// writeRemoved prints one line per removed entry and the bytes freed.
func writeRemoved(w io.Writer, removed []artifact.Removed, dryRun bool) {
	verb, total := "removed", "Freed"
	if dryRun {
		verb, total = "would remove", "Would free"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range removed {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", verb, r.What, formatBytes(r.Bytes), relOr(r.Path))
	}
	tw.Flush()
	fmt.Fprintf(w, "%s %s in %d entries.\n", total, formatBytes(totalBytes(removed)), len(removed))
}

// relOr returns p relative to the working directory when it lies inside it.
func relOr(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return p
}
