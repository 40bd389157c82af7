package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/slurm"
)

// nodeCmd groups the entry points executors start on other machines;
// users never call it.
var nodeCmd = &cobra.Command{
	Use:    "node",
	Short:  "Internal entry points of executor jobs",
	Hidden: true,
}

var nodeExecCmd = &cobra.Command{
	Use:   "exec JOBDIR",
	Short: "Run the node described in a job directory of the store",
	Args:  cobra.ExactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		useAllocatedCPUs()
		// scancel sends SIGTERM first: stop the node gracefully.
		ctx, stop := interruptContext(cmd.Context())
		defer stop()
		spec, err := pipeline.ReadJobSpec(args[0])
		if err != nil {
			return err
		}
		// What plugins print goes to the job's log: redact it as the host would.
		secrets.Add(spec.Secrets...)
		// External plugins pinned on first use are pinned in the lock
		// file beside the pipeline; the job reads it and never writes it.
		if _, err := os.Stat(lockPathFor(spec.Pipeline)); err == nil {
			if err := useLockFile(spec.Pipeline, false); err != nil {
				return err
			}
		}
		defer closeStageRunner()
		part := pipeline.JobPart{Merge: nodeExecMerge}
		if spec.Shards > 1 && !part.Merge {
			task, err := strconv.Atoi(os.Getenv(pipeline.TaskEnv))
			if err != nil {
				return fmt.Errorf("%s must hold the task index of a sharded node's job: %v", pipeline.TaskEnv, err)
			}
			part.Task = task
			// A task that takes on other shards must not run into its limit.
			part.TimeLeft = slurm.TimeLeft(ctx)
		}
		return pipeline.ExecJob(ctx, args[0], stageRunner(), part)
	},
}

var nodeExecMerge bool

func init() {
	nodeExecCmd.Flags().BoolVar(&nodeExecMerge, "merge", false, "merge the parts the tasks of a sharded node left")
	nodeCmd.AddCommand(nodeExecCmd)
	rootCmd.AddCommand(nodeCmd)
}

// useAllocatedCPUs limits the Go scheduler to the CPUs Slurm allocated to
// the job: without CPU binding a job would otherwise run a worker per core
// of the node and slow down the jobs beside it.
func useAllocatedCPUs() {
	n, err := strconv.Atoi(os.Getenv("SLURM_CPUS_ON_NODE"))
	if err == nil && n > 0 && n < runtime.GOMAXPROCS(0) {
		runtime.GOMAXPROCS(n)
		os.Setenv("GOMAXPROCS", strconv.Itoa(n)) // for stage plugin processes
	}
}
