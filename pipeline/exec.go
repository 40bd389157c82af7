package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/dag"
)

// execNode is the walker callback for one node: serve it from the cache or
// run it with retries, then publish its outputs to dependants.
func (r *run) execNode(ctx context.Context, addr string) error {
	n := r.plan.prep[addr]
	if n == nil {
		return fmt.Errorf("node %s was not prepared; this is a bug in llmflow", addr)
	}
	parts, missing := r.plan.keyParts(n, func(dep string) (map[string]string, string) {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.outputs[dep], ActionCached
	})
	res := NodeResult{Addr: addr, Kind: n.Kind, Key: parts.Key(), Parts: parts, Started: time.Now()}
	if missing != "" {
		if err := r.unproduced(n, missing); err != nil {
			return r.fail(ctx, n, res, err)
		}
		return fmt.Errorf("input %s of %s is missing; this is a bug in llmflow", missing, addr)
	}
	if n.blocked != nil { // its key is incomplete, so it must not hit the cache
		return r.fail(ctx, n, res, n.blocked)
	}
	if err := r.checkEmptyInputs(n, parts); err != nil {
		return r.fail(ctx, n, res, err)
	}
	if out, ok := lookupCached(r.e.Store, res.Key); ok && !r.e.NoCache {
		return r.cached(res, out)
	}
	// Another run executing the same node at the same time would share its
	// work directory: wait for it, then take its result from the cache.
	lock, err := r.e.Store.LockNode(ctx, res.Key, r.owner, func(holder string) {
		r.hook.NodeLog(addr, "waiting for "+holder+", which is running this node")
	})
	if err != nil {
		return r.fail(ctx, n, res, err)
	}
	defer lock.Unlock()
	if out, ok := lookupCached(r.e.Store, res.Key); ok && !r.e.NoCache {
		os.RemoveAll(r.e.Store.WorkDir(res.Key)) // a finished node resumes nothing
		return r.cached(res, out)
	}
	nr := &NodeRun{Addr: addr, Key: res.Key, Config: n.Decoded, Seed: n.Seed, Dir: r.plan.Bound.Config.Dir,
		Inputs: r.inputs(n, parts), Store: r.e.Store, hook: r.hook}
	out, err := r.attempts(ctx, n, nr, &res)
	if err != nil {
		return r.fail(ctx, n, res, err)
	}
	if err := r.e.Store.RecordNode(res.Key, out); err != nil {
		return r.fail(ctx, n, res, err)
	}
	res.Outputs, res.Metrics, res.Duration = out, nr.metrics, time.Since(res.Started)
	r.publish(addr, out)
	r.hook.NodeFinished(res)
	return nil
}

// cached reports a node served from the store and publishes its outputs.
func (r *run) cached(res NodeResult, out map[string]string) error {
	res.Outputs = out
	r.publish(res.Addr, out)
	r.hook.NodeCached(res)
	return nil
}

// attempts runs the node up to 1+retries times, each under its timeout.
// A cancelled run is not retried.
func (r *run) attempts(ctx context.Context, n *prepared, nr *NodeRun, res *NodeResult) (map[string]string, error) {
	var err error
	for attempt := 1; attempt <= n.Meta.Retries+1; attempt++ {
		res.Attempt, res.Started = attempt, time.Now()
		r.hook.NodeStarted(*res)
		var out map[string]string
		out, err = r.once(ctx, n, nr)
		if err == nil {
			return out, nil
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if attempt <= n.Meta.Retries {
			r.hook.NodeLog(n.Addr, fmt.Sprintf("attempt %d failed: %v; retrying", attempt, err))
		}
	}
	return nil, err
}

func (r *run) once(ctx context.Context, n *prepared, nr *NodeRun) (out map[string]string, err error) {
	if n.Meta.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, n.Meta.Timeout,
			fmt.Errorf("%s timed out after %s", n.Addr, n.Meta.Timeout))
		defer cancel()
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s panicked: %v; this is a bug in llmflow", n.Addr, p)
		}
	}()
	if ex := r.plan.Bound.Config.ExecutorFor(n.Addr, r.e.Executor); ex != nil {
		out, err = r.runJob(ctx, n, nr, ex)
	} else if n.sharded() {
		out, err = r.runShardsHere(ctx, n, nr)
	} else if n.bt != nil {
		out, err = n.bt.Run(ctx, nr)
	} else {
		out, err = r.runStage(ctx, n, nr)
	}
	if err != nil && ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
		err = context.Cause(ctx)
	}
	return out, err
}

func (r *run) runStage(ctx context.Context, n *prepared, nr *NodeRun) (map[string]string, error) {
	req := &StageRequest{Node: n.Addr, Plugin: n.plugin, Config: n.stage, Inputs: nr.Inputs, Seed: n.Seed}
	return runStageIn(ctx, r.e.Store, r.e.Runner, r.e.NoCache, req, nr)
}

// runStageIn runs a stage into its work directory and imports what it
// wrote into the store; the host and a job both run stages through it.
func runStageIn(ctx context.Context, store *artifact.Store, runner StageRunner, noCache bool, req *StageRequest, nr *NodeRun) (map[string]string, error) {
	if runner == nil {
		return nil, errors.New("no stage runner configured")
	}
	// The output directory is named after the cache key and outlives a
	// failed or killed attempt, so a stage that saves as it goes (pretrain
	// checkpoints) resumes where it stopped: the key pins config, inputs,
	// plugin binary and seed, so what it finds there belongs to this node.
	outDir := store.WorkDir(nr.Key)
	if noCache {
		if err := os.RemoveAll(outDir); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, err
	}
	req.OutputDir = outDir
	outs, err := runner.Run(ctx, req, nr)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(outDir)
	digests := map[string]string{}
	for name, o := range outs {
		m, err := store.ImportDir(o.Kind, o.Path)
		if err != nil {
			return nil, fmt.Errorf("output %s: %w", name, err)
		}
		digests[name] = m.Digest
	}
	return digests, nil
}

// unproduced explains an input of n from dep that is missing because dep
// finished without writing that output (a stage's optional outputs, such
// as peft's adapter or model by method); nil when dep has not finished.
func (r *run) unproduced(n *prepared, dep string) error {
	r.mu.Lock()
	out, done := r.outputs[dep]
	r.mu.Unlock()
	if !done {
		return nil
	}
	for _, name := range sortedKeys(n.Inputs) {
		ref := n.Inputs[name]
		if o := r.plan.outputName(ref); ref.Addr == dep && out[o] == "" {
			return fmt.Errorf("input %q: %s finished without producing its output %q, which its configuration does not write; refer to one of its outputs it wrote: %s",
				name, dep, o, strings.Join(sortedKeys(out), ", "))
		}
	}
	return nil
}

func (r *run) inputs(n *prepared, parts KeyParts) map[string]Input {
	in := map[string]Input{}
	for name := range n.Inputs {
		d := parts.Inputs[name]
		kind := ""
		if m, err := r.e.Store.Manifest(d); err == nil {
			kind = m.Kind
		}
		in[name] = Input{Digest: d, Kind: kind, Path: r.e.Store.Path(d)}
	}
	return in
}

func (r *run) publish(addr string, out map[string]string) {
	r.mu.Lock()
	r.outputs[addr] = out
	r.mu.Unlock()
}

func (r *run) fail(ctx context.Context, n *prepared, res NodeResult, err error) error {
	if ctx.Err() != nil && !errors.Is(err, ErrInterrupted) {
		// Whatever the node said, it stopped because the run was interrupted.
		err = fmt.Errorf("%w: %v", ErrInterrupted, err)
	}
	res.Err, res.Duration = err, time.Since(res.Started)
	r.hook.NodeFailed(res)
	if n.Meta.OnFailure == OnFailureAbort {
		return dag.Halt(err)
	}
	return err
}
