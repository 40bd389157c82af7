package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/dag"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// Engine executes plans: in the host process, or node by node as jobs of
// an executor such as Slurm. It never prints: everything
// it does is reported through Hook.
type Engine struct {
	Store       *artifact.Store
	Runner      StageRunner // needed only for pipelines with stages
	Hook        Hook        // nil: events are dropped
	Parallelism int         // nodes running at once; <= 0 means 1
	NoCache     bool        // run every node even when its key is stored
	RunID       string      // "" generates one
	// Executor is `llmflow run --executor`; see Config.ExecutorFor.
	Executor string
	// JobRunners start the jobs of nodes that run away from the host, by
	// executor type; JobCommand is the command a job runs, to which the
	// job directory is appended (llmflow node exec).
	JobRunners map[string]JobRunner
	JobCommand []string
}

// ErrInterrupted is returned (wrapped) when the run's context ended.
var ErrInterrupted = errors.New("run interrupted")

// ErrNodesFailed is returned (wrapped) when one or more nodes failed.
var ErrNodesFailed = errors.New("nodes failed")

// run is the state of one execution.
type run struct {
	e       *Engine
	plan    *Plan
	hook    Hook
	owner   string // names this run in node locks, for runs that wait on it
	mu      sync.Mutex
	outputs map[string]map[string]string // node -> output -> digest
}

// Run executes the plan. Nodes whose cache key is stored are not run again,
// which is also how a killed run resumes. It returns the run's result and an
// error wrapping ErrInterrupted or ErrNodesFailed when it did not succeed.
func (e *Engine) Run(ctx context.Context, plan *Plan) (*RunResult, error) {
	r := &run{e: e, plan: plan, hook: e.Hook, outputs: map[string]map[string]string{}}
	if r.hook == nil {
		r.hook = NopHook{}
	}
	if s := plan.Bound.Secrets; !s.Empty() {
		r.hook = redactHook{Hook: r.hook, s: s}
	}
	id := e.RunID
	if id == "" {
		id = runstore.NewRunID(time.Now())
	}
	r.owner = fmt.Sprintf("run %s (pid %d)", id, os.Getpid())
	start := time.Now()
	cfg := plan.Bound.Config
	r.hook.RunStarted(RunInfo{ID: id, Pipeline: cfg.Filename, Nodes: cfg.NodeAddrs(),
		Parallelism: max(e.Parallelism, 1), NoCache: e.NoCache, Started: start})
	res := cfg.Graph.Walk(ctx, e.Parallelism, r.execNode, dag.OnSkip(func(v, cause string) {
		r.hook.NodeSkipped(v, cause)
	}))
	out := &RunResult{ID: id, Status: StatusSucceeded, Outputs: r.pipelineOutputs(), Duration: time.Since(start)}
	switch {
	case ctx.Err() != nil && res.Failed(): // a signal after the last node changes nothing
		out.Status, out.Err = StatusInterrupted, fmt.Errorf("%w: %v", ErrInterrupted, context.Cause(ctx))
	case res.Failed():
		out.Status, out.Err = StatusFailed, fmt.Errorf("%w: %s", ErrNodesFailed, failedList(res))
	}
	r.hook.RunFinished(*out)
	return out, out.Err
}

func failedList(res *dag.Result) string {
	s := ""
	for _, v := range sortedKeys(res.Status) {
		if res.Status[v] == dag.Failed {
			if s != "" {
				s += ", "
			}
			s += v
		}
	}
	if s == "" {
		return "halted"
	}
	return s
}

// pipelineOutputs maps output blocks to the digests produced.
func (r *run) pipelineOutputs() map[string]string {
	out := map[string]string{}
	r.mu.Lock()
	defer r.mu.Unlock()
	for name, o := range r.plan.Bound.Config.Outputs {
		if o.Ref == nil {
			continue
		}
		if d := r.outputs[o.Ref.Addr][r.plan.outputName(o.Ref)]; d != "" {
			out[name] = d
		}
	}
	return out
}
