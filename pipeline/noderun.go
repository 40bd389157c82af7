package pipeline

import (
	"sync"

	"github.com/llmflow/llmflow/artifact"
)

// Input is one resolved input of a running node.
type Input struct {
	Digest string
	Kind   string
	Path   string // directory of the committed artifact
}

// NodeRun is what a built-in node's Run function gets: its configuration,
// inputs and the store to commit outputs to. Its reporting methods satisfy
// the Reporter interface the dataprep libraries declare, and are safe for
// concurrent use.
type NodeRun struct {
	Addr   string
	Key    string // the node's cache key
	Config any    // the pointer NewConfig returned, filled from the block
	Seed   int64
	Dir    string // pipeline directory, for relative paths
	Inputs map[string]Input
	Store  *artifact.Store

	hook    Hook
	mu      sync.Mutex
	metrics map[string]float64
	shards  *shardProgress // a sharded node's tasks' progress, from the first report
	// taskEvents, when set, takes the tasks' progress instead: the tasks
	// of a job run in processes of their own, and the host sums them.
	taskEvents func(task, tasks int, done, total int64, unit string)
}

// Progress reports work done out of total (total <= 0 when unknown).
func (r *NodeRun) Progress(done, total int64, unit string) {
	r.hook.NodeProgress(r.Addr, done, total, unit)
}

// taskProgress reports the progress of task of a sharded node as the
// node's, summed over its tasks.
func (r *NodeRun) taskProgress(task, tasks int, done, total int64, unit string) {
	if r.taskEvents != nil {
		r.taskEvents(task, tasks, done, total, unit)
		return
	}
	r.mu.Lock()
	if r.shards == nil {
		r.shards = newShardProgress(tasks)
	}
	p := r.shards
	r.mu.Unlock()
	p.add(task, done, total, func(done, total int64) { r.Progress(done, total, unit) })
}

// Metric reports one point of a metric series.
func (r *NodeRun) Metric(name string, step int64, value float64) {
	r.hook.NodeMetric(r.Addr, name, step, value)
}

// Log reports a line of node output.
func (r *NodeRun) Log(line string) { r.hook.NodeLog(r.Addr, line) }

// Warn reports something the user should look at although the node
// succeeds, as a log line starting "warning: ".
func (r *NodeRun) Warn(msg string) { r.hook.NodeLog(r.Addr, "warning: "+msg) }

// Metrics records summary counters (a library's Stats.Metrics()); they are
// reported as step-0 metrics when the node finishes.
func (r *NodeRun) Metrics(m map[string]float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.metrics == nil {
		r.metrics = map[string]float64{}
	}
	for k, v := range m {
		r.metrics[k] = v
	}
}
