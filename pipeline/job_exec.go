package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/redact"
)

// ExecJob is the job side of a remote node: it runs the node described in
// the job directory dir against the store the spec names, appends its
// reports to the events file and writes the result file. runner runs stage
// nodes; part selects the task or merge of a sharded node. It returns the
// node's error.
func ExecJob(ctx context.Context, dir string, runner StageRunner, part JobPart) error {
	spec, err := ReadJobSpec(dir)
	if err != nil {
		return err
	}
	// Appended, never truncated: the tasks of an array share the file (the
	// host removes it before a new submission).
	events, err := os.OpenFile(filepath.Join(dir, jobEventsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer events.Close()
	store, err := artifact.OpenStore(spec.Store)
	if err != nil {
		return err
	}
	secrets := spec.Redaction()
	ew := &eventWriter{w: events}
	nr := &NodeRun{Addr: spec.Addr, Key: spec.Key, Seed: spec.Seed, Dir: spec.Dir, Inputs: spec.Inputs,
		Store: store, hook: redactHook{Hook: ew, s: secrets}, taskEvents: ew.taskProgress}
	resultFile := jobResultFile
	var out map[string]string
	switch {
	case spec.Shards > 1 && !part.Merge:
		resultFile = taskResultFile(part.Task)
		var merged map[string]string
		if merged, err = execJobTask(ctx, spec, nr, dir, part); err == nil && merged != nil {
			// The node's result, as a merge job would have written it.
			err = writeJSONFile(filepath.Join(dir, jobResultFile), jobResult{Outputs: merged, Metrics: nr.metrics}, 0o644)
		}
	case spec.Shards > 1:
		out, err = execJobMerge(ctx, spec, nr, dir)
	default:
		out, err = execJobNode(ctx, spec, nr, runner)
	}
	// The error goes to the result file and, through the caller, to the
	// job's log: neither may hold a secret.
	err = secrets.Error(err)
	res := jobResult{Outputs: out, Metrics: nr.metrics}
	if err != nil {
		res.Outputs, res.Error = nil, err.Error()
	}
	if werr := writeJSONFile(filepath.Join(dir, resultFile), res, 0o644); werr != nil && err == nil {
		err = werr
	}
	return err
}

// Redaction returns the set of the spec's secrets.
func (spec *JobSpec) Redaction() *redact.Set {
	s := &redact.Set{}
	s.Add(spec.Secrets...)
	return s
}

func execJobNode(ctx context.Context, spec *JobSpec, nr *NodeRun, runner StageRunner) (out map[string]string, err error) {
	defer recoverBug(spec.Addr, &err)
	if spec.Type == "stage" {
		ty, err := ctyjson.UnmarshalType(spec.ConfigType)
		if err != nil {
			return nil, fmt.Errorf("stage config type in the job spec: %w", err)
		}
		val, err := ctyjson.Unmarshal(spec.Config, ty)
		if err != nil {
			return nil, fmt.Errorf("stage config in the job spec: %w", err)
		}
		req := &StageRequest{Node: spec.Addr, Plugin: spec.Plugin, Config: val, Inputs: spec.Inputs, Seed: spec.Seed}
		return runStageIn(ctx, nr.Store, runner, spec.NoCache, req, nr)
	}
	bn, err := spec.bindNode()
	if err != nil {
		return nil, err
	}
	bt, ok := LookupBlockType(spec.Type)
	if !ok {
		return nil, fmt.Errorf("this llmflow has no node type %q; the job runs a different llmflow binary than the host", spec.Type)
	}
	nr.Config = bn.Decoded
	return bt.Run(ctx, nr)
}

// execJobTask runs task of a sharded node's job array: its own shard and
// any other no task has taken (see shardClaims) while its time allows.
// The task that sees every shard done merges the parts of a node whose
// merge only gathers them, which spares the merge a job of its own and a
// wait in the queue; it returns the merged outputs, else nil.
func execJobTask(ctx context.Context, spec *JobSpec, nr *NodeRun, dir string, part JobPart) (merged map[string]string, err error) {
	defer recoverBug(spec.Addr, &err)
	bt, err := spec.shardedType(nr)
	if err != nil {
		return nil, err
	}
	if part.Task < 0 || part.Task >= spec.Shards {
		return nil, fmt.Errorf("task %d of a node in %d shards", part.Task, spec.Shards)
	}
	if err := os.MkdirAll(shardDir(dir), 0o755); err != nil {
		return nil, err
	}
	claims, err := newShardClaims(dir, spec.Shards)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	var ran []string
	for _, shard := range claims.order(part.Task) {
		if claims.has(failedName) {
			break
		}
		// Asking for the time left costs a command: only for a free shard.
		if claims.has(claimName(shard)) {
			continue
		}
		if len(ran) > 0 && !part.timeFor(time.Since(start)) {
			break
		}
		if ok, err := claims.claim(claimName(shard)); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			continue
		}
		if err := bt.RunShard(ctx, nr, shardDir(dir), shard, spec.Shards); err != nil {
			claims.markFailed()
			return nil, fmt.Errorf("shard %d of %d: %w", shard, spec.Shards, err)
		}
		if err := claims.markDone(shard); err != nil {
			return nil, err
		}
		ran = append(ran, strconv.Itoa(shard))
	}
	if len(ran) > 1 || len(ran) == 1 && ran[0] != strconv.Itoa(part.Task) {
		nr.Log(fmt.Sprintf("task %d ran shards [%s]", part.Task, strings.Join(ran, " ")))
	}
	if !bt.MergeAsTasksEnd || !claims.allDone() || !part.timeFor(time.Since(start)) {
		return nil, nil
	}
	if ok, err := claims.claim(mergeName); err != nil || !ok {
		return nil, err
	}
	nr.Log(fmt.Sprintf("task %d merges the parts", part.Task))
	return bt.Merge(ctx, nr, shardDir(dir), spec.Shards)
}

func execJobMerge(ctx context.Context, spec *JobSpec, nr *NodeRun, dir string) (out map[string]string, err error) {
	defer recoverBug(spec.Addr, &err)
	bt, err := spec.shardedType(nr)
	if err != nil {
		return nil, err
	}
	return bt.Merge(ctx, nr, shardDir(dir), spec.Shards)
}

// shardedType decodes the node's configuration into nr and returns its type.
func (spec *JobSpec) shardedType(nr *NodeRun) (*BlockType, error) {
	bn, err := spec.bindNode()
	if err != nil {
		return nil, err
	}
	bt, ok := LookupBlockType(spec.Type)
	if !ok || bt.RunShard == nil || bt.Merge == nil {
		return nil, fmt.Errorf("this llmflow cannot shard %s nodes; the job runs a different llmflow binary than the host", spec.Type)
	}
	nr.Config = bn.Decoded
	return bt, nil
}

func recoverBug(addr string, err *error) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s panicked: %v; this is a bug in llmflow", addr, p)
	}
}

// bindNode decodes the spec's built-in node from the pipeline source and
// variables, as the host did: configurations hold fields such as paths
// and worker counts that their canonical JSON leaves out.
func (spec *JobSpec) bindNode() (*BoundNode, error) {
	cfg, diags := Load(spec.Pipeline, spec.Source)
	exprs := map[string]hcl.Expression{}
	for name, js := range spec.Vars {
		v, err := ctyjson.Unmarshal(js, cty.DynamicPseudoType)
		if err != nil {
			return nil, fmt.Errorf("variable %s in the job spec: %w", name, err)
		}
		exprs[name] = staticExpr(v)
	}
	var b *Bound
	if !diags.HasErrors() {
		var d hcl.Diagnostics
		b, d = cfg.Bind(exprs)
		diags = append(diags, d...)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("decoding the pipeline in the job: %s", diags.Error())
	}
	bn := b.Nodes[spec.Addr]
	if bn == nil || !bytes.Equal(bn.Canonical, spec.Config) {
		return nil, fmt.Errorf("%s decodes differently in the job than in the host; the job runs a different llmflow binary than the host", spec.Addr)
	}
	return bn, nil
}

// eventWriter is the Hook a job's NodeRun reports to: one JSON line per
// event, so the host can forward them as they come.
type eventWriter struct {
	NopHook
	mu           sync.Mutex
	w            *os.File
	lastProgress time.Time
}

// progressEvery spaces progress lines: a reader may report every document.
const progressEvery = 200 * time.Millisecond

func (e *eventWriter) write(ev jobEvent) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.w.Write(append(b, '\n'))
}

// NodeProgress implements Hook.
func (e *eventWriter) NodeProgress(_ string, done, total int64, unit string) {
	if e.due(done == total) {
		e.write(jobEvent{Type: "progress", Done: done, Total: total, Unit: unit})
	}
}

// due tells whether a progress line is due now, or is the last.
func (e *eventWriter) due(last bool) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := time.Now()
	if now.Sub(e.lastProgress) < progressEvery && !last {
		return false
	}
	e.lastProgress = now
	return true
}

// taskProgress reports the progress of a task of a sharded node, which
// the host sums with its other tasks'.
func (e *eventWriter) taskProgress(task, tasks int, done, total int64, unit string) {
	if e.due(done == total) {
		e.write(jobEvent{Type: "progress", Done: done, Total: total, Unit: unit, Task: task, Tasks: tasks})
	}
}

// NodeMetric implements Hook.
func (e *eventWriter) NodeMetric(_, name string, step int64, value float64) {
	e.write(jobEvent{Type: "metric", Name: name, Step: step, Value: value})
}

// NodeLog implements Hook.
func (e *eventWriter) NodeLog(_, line string) { e.write(jobEvent{Type: "log", Line: line}) }
