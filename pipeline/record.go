package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// Recorder is a Hook that writes a run into the run store: the run with its
// source snapshot and non-sensitive variables, every node attempt with its
// cache key parts, params, metrics, logs, artifacts and lineage. Recording
// problems do not stop the run; Err reports the first one.
type Recorder struct {
	NopHook
	db    *runstore.Store
	store *artifact.Store
	plan  *Plan
	runID string

	mu      sync.Mutex
	nodeIDs map[string]int64
	writers map[string]*runstore.MetricWriter
	err     error
}

// StartRecording creates the run row for plan and returns a Recorder for
// its events; pass the returned run id to Engine.RunID.
func StartRecording(ctx context.Context, db *runstore.Store, store *artifact.Store, plan *Plan, id string) (*Recorder, error) {
	b := plan.Bound
	// The absolute path lets reproduce and plan history find the pipeline
	// (and its relative data paths) from any working directory.
	file, err := filepath.Abs(b.Config.Filename)
	if err != nil {
		file = b.Config.Filename
	}
	id, err = db.CreateRun(ctx, runstore.NewRun{
		ID: id, PipelineFile: file, Source: string(b.Config.SourceSnapshot()),
		Variables: b.VariablesJSON(), Version: Version,
	})
	if err != nil {
		return nil, err
	}
	return &Recorder{db: db, store: store, plan: plan, runID: id,
		nodeIDs: map[string]int64{}, writers: map[string]*runstore.MetricWriter{}}, nil
}

// RunID returns the id of the recorded run.
func (r *Recorder) RunID() string { return r.runID }

// Err returns the first recording error, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Recorder) keep(err error) {
	if err == nil {
		return
	}
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

// ctx is deliberately not the run's context: after Ctrl-C the recorder must
// still write the interrupted state.
var recordCtx = context.Background()

func (r *Recorder) startNode(res NodeResult, status string) int64 {
	comps, _ := json.Marshal(res.Parts)
	n := r.plan.prep[res.Addr]
	start := runstore.NodeStart{RunID: r.runID, Addr: res.Addr, Kind: res.Kind, Attempt: max(res.Attempt, 1),
		CacheKey: res.Key, KeyComponents: comps, Status: status, StartedAt: res.Started}
	if n != nil && n.info != nil {
		start.Plugin = runstore.Plugin{Name: n.info.Name, Version: n.info.Version, Source: n.plugin.Source, SHA256: n.info.Checksum}
	}
	id, err := r.db.StartNode(recordCtx, start)
	r.keep(err)
	if err == nil && n != nil && len(n.Params) > 0 {
		r.keep(r.db.RecordParams(recordCtx, r.runID, id, n.Params))
	}
	r.mu.Lock()
	if prev, ok := r.nodeIDs[res.Addr]; ok && status == runstore.StatusRunning {
		defer r.keep(r.db.FinishNode(recordCtx, prev, runstore.StatusFailed, "attempt failed; retried"))
	}
	r.nodeIDs[res.Addr] = id
	r.mu.Unlock()
	return id
}

func (r *Recorder) nodeID(addr string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nodeIDs[addr]
}

// NodeStarted records a new attempt; metrics of an earlier attempt are
// flushed first so each attempt keeps its own series.
func (r *Recorder) NodeStarted(res NodeResult) {
	r.flush(res.Addr)
	r.startNode(res, runstore.StatusRunning)
}

// NodeCached records a node served from the store, with its outputs.
func (r *Recorder) NodeCached(res NodeResult) {
	id := r.startNode(res, runstore.StatusCached)
	r.recordOutputs(id, res)
}

// NodeFinished records success, outputs, lineage and summary metrics.
func (r *Recorder) NodeFinished(res NodeResult) {
	id := r.nodeID(res.Addr)
	r.flush(res.Addr)
	var ms []runstore.Metric
	for _, name := range sortedKeys(res.Metrics) {
		ms = append(ms, runstore.Metric{Name: name, Value: res.Metrics[name]})
	}
	r.keep(r.db.AddMetrics(recordCtx, r.runID, id, ms))
	r.recordOutputs(id, res)
	r.keep(r.db.FinishNode(recordCtx, id, runstore.StatusSucceeded, ""))
}

func (r *Recorder) recordOutputs(id int64, res NodeResult) {
	var edges []runstore.Edge
	for _, name := range sortedKeys(res.Parts.Inputs) {
		if d := res.Parts.Inputs[name]; r.store.Has(d) {
			edges = append(edges, runstore.Edge{Role: runstore.RoleInput, Name: name, Digest: d})
		}
	}
	for _, name := range sortedKeys(res.Outputs) {
		d := res.Outputs[name]
		edges = append(edges, runstore.Edge{Role: runstore.RoleOutput, Name: name, Digest: d})
		if m, err := r.store.Manifest(d); err == nil {
			r.keep(r.db.RecordArtifact(recordCtx, runstore.Artifact{Digest: d, Kind: m.Kind, Rows: m.Rows, Bytes: m.Bytes, Path: r.store.Path(d)}))
		}
	}
	r.keep(r.db.RecordLineage(recordCtx, id, edges...))
}

// NodeFailed records the failure; a cancelled node is recorded interrupted.
func (r *Recorder) NodeFailed(res NodeResult) {
	status := runstore.StatusFailed
	if errors.Is(res.Err, ErrInterrupted) || errors.Is(res.Err, context.Canceled) {
		status = runstore.StatusInterrupted
	}
	id := r.nodeID(res.Addr)
	if id == 0 { // failed before any attempt started, e.g. a missing source file
		id = r.startNode(res, runstore.StatusRunning)
	}
	r.flush(res.Addr)
	r.keep(r.db.FinishNode(recordCtx, id, status, res.Err.Error()))
}

// NodeSkipped records a node that did not run because of a failure upstream.
func (r *Recorder) NodeSkipped(addr, cause string) {
	id := r.startNode(NodeResult{Addr: addr, Kind: r.plan.prep[addr].Kind}, runstore.StatusSkipped)
	r.keep(r.db.FinishNode(recordCtx, id, runstore.StatusSkipped, "skipped: "+cause+" failed"))
}

// NodeMetric buffers a metric point.
func (r *Recorder) NodeMetric(addr, name string, step int64, value float64) {
	r.mu.Lock()
	w, ok := r.writers[addr]
	if !ok {
		w = r.db.NewMetricWriter(r.runID, r.nodeIDs[addr])
		r.writers[addr] = w
	}
	r.mu.Unlock()
	r.keep(w.Add(recordCtx, step, name, value))
}

func (r *Recorder) flush(addr string) {
	r.mu.Lock()
	w := r.writers[addr]
	delete(r.writers, addr)
	r.mu.Unlock()
	if w != nil {
		r.keep(w.Close(recordCtx))
	}
}

// NodeLog records a log line as an event. A log line marks a point the
// node reached (an evaluation, a checkpoint about to be saved), so the
// node's buffered metrics are written first: a run killed right after a
// checkpoint keeps the loss curve that led to it.
func (r *Recorder) NodeLog(addr, line string) {
	r.mu.Lock()
	w := r.writers[addr]
	r.mu.Unlock()
	if w != nil {
		r.keep(w.Flush(recordCtx))
	}
	r.keep(r.db.AddEvent(recordCtx, runstore.Event{RunID: r.runID, NodeID: r.nodeID(addr), Type: "log", Message: line}))
}

// RunFinished records the run's final status.
func (r *Recorder) RunFinished(res RunResult) {
	msg := ""
	if res.Err != nil {
		msg = res.Err.Error()
	}
	if len(res.Outputs) > 0 {
		outs := map[string]string{}
		for name, d := range res.Outputs {
			outs[runstore.OutputParamPrefix+name] = d
		}
		r.keep(r.db.RecordParams(recordCtx, r.runID, 0, outs))
	}
	r.keep(r.db.UpdateRun(recordCtx, r.runID, res.Status, msg))
}
