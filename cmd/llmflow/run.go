package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/cmd/llmflow/views"
	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/runstore"
	"github.com/llmflow/llmflow/pipeline/slurm"
)

var (
	runFlags       pipelineFlags
	runParallelism int
)

var runCmd = &cobra.Command{
	Use:   "run FILE",
	Short: "Run a pipeline, reusing every node whose outputs are cached",
	Long: `Runs the pipeline's nodes in dependency order, up to --parallelism at once.
A node whose cache key is in the store is not run again, so a run that was
interrupted or killed resumes from the nodes that completed. Ctrl-C stops
running nodes gracefully and marks the run interrupted.`,
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		ctx, stop := interruptContext(cmd.Context())
		defer stop()
		if err := useLockFile(args[0], true); err != nil {
			return err
		}
		p, pl, closeFn, err := runFlags.plan(cmd, args[0])
		if err != nil {
			return err
		}
		if err := p.Bound.Config.CheckExecutorOverride(runFlags.executor); err != nil {
			closeFn()
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		closeFn() // the read-only history handle; the run opens the database for writing
		defer closeStageRunner()
		return executePlan(ctx, cmd, p, pl, runFlags, runParallelism)
	},
}

func init() {
	runFlags.writesStore = true
	runFlags.addVarFlags(runCmd)
	runFlags.addStoreFlags(runCmd)
	runCmd.Flags().IntVar(&runParallelism, "parallelism", 2, "nodes to run at once")
	runCmd.Flags().BoolVar(&runFlags.noCache, "no-cache", false, "run every node even when its outputs are cached")
	runCmd.Flags().BoolVar(&runFlags.json, "json", false, "print events as JSON lines")
	runCmd.Flags().StringVar(&runFlags.executor, "executor", "", "where nodes run: local, slurm or an executor block's name (default: the pipeline's choice)")
	rootCmd.AddCommand(runCmd)
}

// executePlan runs a plan with recording and a view; reproduce shares it.
func executePlan(ctx context.Context, cmd *cobra.Command, p *pipeline.Plan, pl *pipeline.Planner, f pipelineFlags, par int, extra ...pipeline.Hook) error {
	// Held shared for the whole run, so gc never collects what this run
	// commits before recording it.
	storeLock, err := pl.Store.Share()
	if err != nil {
		return err
	}
	defer storeLock.Release()
	cleanTmp(cmd, pl.Store)
	db, err := runstore.Open(f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	// A run whose process was killed stays "running"; mark it before adding ours.
	db.MarkStaleRunsInterrupted(context.Background())
	rec, err := pipeline.StartRecording(context.Background(), db, pl.Store, p, "")
	if err != nil {
		return err
	}
	view := views.New(cmd.OutOrStdout(), f.json, isTerminal(cmd.OutOrStdout()))
	e := &pipeline.Engine{Store: pl.Store, Runner: pl.Runner, Hook: append(pipeline.Hooks{rec, view}, extra...),
		Parallelism: par, NoCache: f.noCache, RunID: rec.RunID(), Executor: f.executor,
		JobRunners: map[string]pipeline.JobRunner{pipeline.ExecutorSlurm: slurm.New()}}
	if exe, err := os.Executable(); err == nil {
		e.JobCommand = []string{exe, "node", "exec"}
	}
	_, runErr := e.Run(ctx, p)
	view.Close()
	if err := rec.Err(); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: recording run %s: %v\n", rec.RunID(), err)
	}
	return runErr
}

// cleanTmp removes staging that killed processes left in the store; a
// killed training stage's work directory stays so that it resumes.
func cleanTmp(cmd *cobra.Command, store *artifact.Store) {
	removed, err := store.CleanTmp(artifact.CleanOptions{KeepResumable: true})
	if err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: cleaning %s: %v\n", store.Dir(), err)
	}
	if len(removed) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "Removed %d leftover(s) of killed runs from the store (%s).\n",
			len(removed), formatBytes(totalBytes(removed)))
	}
}

// interruptContext is cancelled by the first Ctrl-C or SIGTERM, which lets
// running nodes stop gracefully; after that the default handling returns,
// so a second Ctrl-C ends the process at once.
func interruptContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx, stop
}
