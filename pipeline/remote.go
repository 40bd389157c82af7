package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// jobPoll is how often the host forwards a running job's reports.
const jobPoll = 200 * time.Millisecond

// runJob runs node n as a job of executor ex and returns its outputs.
func (r *run) runJob(ctx context.Context, n *prepared, nr *NodeRun, ex *Executor) (map[string]string, error) {
	runner := r.e.JobRunners[ex.Type]
	if runner == nil || len(r.e.JobCommand) == 0 {
		return nil, fmt.Errorf("%s runs on executor %q of type %s, which this host cannot start jobs on", n.Addr, ex.Name, ex.Type)
	}
	dir := jobDir(r.e.Store, nr.Key)
	// A job that finished after its host died left its result: the key
	// pins what it ran, so its outputs are this node's.
	if out := r.finishedJob(dir); out != nil && !r.e.NoCache {
		nr.hook.NodeLog(n.Addr, "using the result of a job that finished while no host waited for it")
		os.RemoveAll(dir)
		return out, nil
	}
	spec, err := r.jobSpec(n, nr)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := writeJSONFile(filepath.Join(dir, jobSpecFile), spec, 0o600); err != nil {
		return nil, err
	}
	tail := &eventTail{path: filepath.Join(dir, jobEventsFile), addr: n.Addr, hook: nr.hook}
	if n.sharded() {
		tail.shards = newShardProgress(spec.Shards)
	}
	job := &Job{Name: "llmflow:" + n.Addr, Dir: dir, Command: r.jobCommand(dir), Tasks: 1, Executor: ex,
		Log: func(line string) { nr.hook.NodeLog(n.Addr, line) }, Fresh: func() error { return removeReports(dir) }}
	if n.sharded() {
		if err := r.runTasks(ctx, runner, job, spec.Shards, tail.poll); err != nil {
			return nil, err
		}
		array := job
		job = nil
		if res, _ := readJobResult(dir); res == nil {
			// No task merged: the merge is a job of its own, in a directory
			// of its own so its job id does not replace the array's.
			merge := *array
			merge.Dir, merge.Tasks, merge.Command = filepath.Join(dir, "merge"), 1, r.jobCommand("--merge", dir)
			merge.Fresh = func() error { return removeFile(filepath.Join(dir, jobResultFile)) }
			if err := os.MkdirAll(merge.Dir, 0o700); err != nil {
				return nil, err
			}
			job = &merge
		}
	}
	if job != nil {
		err = waitJob(ctx, runner, job, tail.poll)
	}
	res, rerr := readJobResult(dir)
	switch {
	case res != nil && res.Error != "" && err != nil:
		return nil, fmt.Errorf("%s (%v)", res.Error, err)
	case res != nil && res.Error != "":
		return nil, errors.New(res.Error)
	case err != nil:
		return nil, err
	case rerr != nil:
		return nil, rerr
	case res == nil:
		return nil, fmt.Errorf("the job of %s ended without writing %s", n.Addr, filepath.Join(dir, jobResultFile))
	}
	for name, d := range res.Outputs {
		if !r.e.Store.Has(d) {
			return nil, fmt.Errorf("the job of %s reported output %s as %s, which is not in the store %s; do the host and the cluster share it?",
				n.Addr, name, d, r.e.Store.Dir())
		}
	}
	nr.Metrics(res.Metrics)
	os.RemoveAll(dir)
	return res.Outputs, nil
}

// runTasks runs the array of a sharded node's tasks and returns the error
// of the first that failed, with Slurm's account of it.
func (r *run) runTasks(ctx context.Context, runner JobRunner, job *Job, tasks int, poll func()) error {
	job.Tasks = tasks
	claims := &shardClaims{dir: claimsDir(job.Dir), shards: tasks}
	job.Finished = claims.allDone
	err := waitJob(ctx, runner, job, poll)
	if ctx.Err() == nil && claims.allDone() {
		// The tasks that had not started when the last shard was done were
		// cancelled, or found nothing to do: only a failed merge counts.
		for i := range tasks {
			if res, _ := readResultFile(filepath.Join(job.Dir, taskResultFile(i))); res != nil && res.Error != "" {
				return errors.New(res.Error)
			}
		}
		return nil
	}
	for i := range tasks {
		res, rerr := readResultFile(filepath.Join(job.Dir, taskResultFile(i)))
		switch {
		case res != nil && res.Error != "" && err != nil:
			return fmt.Errorf("%s (%v)", res.Error, err)
		case res != nil && res.Error != "":
			return errors.New(res.Error)
		case err == nil && rerr != nil:
			return rerr
		case err == nil && res == nil:
			return fmt.Errorf("task %d of the job of %s ended without writing %s", i, strings.TrimPrefix(job.Name, "llmflow:"),
				filepath.Join(job.Dir, taskResultFile(i)))
		}
	}
	return err
}

func (r *run) jobCommand(args ...string) []string {
	return append(append([]string(nil), r.e.JobCommand...), args...)
}

// waitJob runs the job, calling poll while it runs and once after.
func waitJob(ctx context.Context, runner JobRunner, job *Job, poll func()) error {
	done := make(chan error, 1)
	go func() { done <- runner.RunJob(ctx, job) }()
	tick := time.NewTicker(jobPoll)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			poll()
			return err
		case <-tick.C:
			poll()
		}
	}
}

// finishedJob returns the outputs of a job in dir that succeeded and whose
// outputs are all stored, or nil.
func (r *run) finishedJob(dir string) map[string]string {
	res, err := readJobResult(dir)
	if err != nil || res == nil || res.Error != "" || len(res.Outputs) == 0 {
		return nil
	}
	for _, d := range res.Outputs {
		if !r.e.Store.Has(d) {
			return nil
		}
	}
	return res.Outputs
}

// removeReports clears what an earlier job left in dir before a new one:
// results, events and the claims and parts of a sharded node's tasks.
func removeReports(dir string) error {
	tasks, _ := filepath.Glob(filepath.Join(dir, "result-*.json"))
	for _, path := range append(tasks, filepath.Join(dir, jobResultFile), filepath.Join(dir, jobEventsFile)) {
		if err := removeFile(path); err != nil {
			return err
		}
	}
	if err := os.RemoveAll(claimsDir(dir)); err != nil {
		return err
	}
	return os.RemoveAll(shardDir(dir))
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (r *run) jobSpec(n *prepared, nr *NodeRun) (*JobSpec, error) {
	cfg := r.plan.Bound.Config
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	spec := &JobSpec{Addr: n.Addr, Type: n.Type, Kind: n.Kind, Key: nr.Key, Store: r.e.Store.Dir(), Dir: dir,
		Pipeline: filepath.Join(dir, filepath.Base(cfg.Filename)), Source: cfg.Source, Vars: map[string]json.RawMessage{},
		Config: n.Canonical, Plugin: n.plugin, Seed: n.Seed, Inputs: nr.Inputs, NoCache: r.e.NoCache,
		Secrets: r.plan.Bound.Secrets.Values()}
	if n.bt == nil && n.plugin.Source != "builtin" && n.plugin.Source != "" {
		// The job starts in its job directory: a source relative to the
		// host's working directory would name nothing there. The checksum
		// the host planned with makes the job refuse any other binary.
		if spec.Plugin.Source, err = filepath.Abs(n.plugin.Source); err != nil {
			return nil, err
		}
		if spec.Plugin.Checksum == "" && n.info != nil {
			spec.Plugin.Checksum = n.info.Checksum
		}
	}
	if n.sharded() {
		spec.Shards = n.Meta.Shards
	}
	for name, v := range r.plan.Bound.Vars {
		v, _ = v.UnmarkDeep()
		js, err := ctyjson.Marshal(v, cty.DynamicPseudoType)
		if err != nil {
			return nil, fmt.Errorf("variable %s does not encode: %w; this is a bug in llmflow", name, err)
		}
		spec.Vars[name] = js
	}
	if n.bt == nil {
		ty, err := ctyjson.MarshalType(n.stage.Type())
		if err != nil {
			return nil, fmt.Errorf("stage config type of %s does not encode: %w; this is a bug in llmflow", n.Addr, err)
		}
		spec.ConfigType = ty
	}
	return spec, nil
}
