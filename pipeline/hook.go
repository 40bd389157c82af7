package pipeline

import "time"

// RunInfo describes a run as it starts.
type RunInfo struct {
	ID          string
	Pipeline    string // pipeline file name as given
	Nodes       []string
	Parallelism int
	NoCache     bool
	Started     time.Time
}

// NodeResult describes a node that finished, failed or was served from the
// cache.
type NodeResult struct {
	Addr     string
	Kind     string
	Key      string            // cache key
	Parts    KeyParts          // what the key was computed from
	Outputs  map[string]string // output name -> artifact digest
	Metrics  map[string]float64
	Attempt  int // 1-based; 0 for cached nodes
	Started  time.Time
	Duration time.Duration
	Err      error // NodeFailed only
}

// RunResult summarises a finished run.
type RunResult struct {
	ID       string
	Status   string // StatusSucceeded, StatusFailed or StatusInterrupted
	Outputs  map[string]string
	Duration time.Duration
	Err      error
}

// Run and node statuses as recorded and reported.
const (
	StatusRunning     = "running"
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
	StatusCached      = "cached"
	StatusSkipped     = "skipped"
)

// Hook receives engine events. The engine calls a hook's methods from
// several goroutines at once (one per running node), so implementations
// must be safe for concurrent use and should return quickly.
type Hook interface {
	RunStarted(run RunInfo)
	// NodeStarted reports an attempt starting; res carries Addr, Kind, Key,
	// Parts, Attempt and Started.
	NodeStarted(res NodeResult)
	NodeProgress(addr string, done, total int64, unit string)
	NodeMetric(addr, name string, step int64, value float64)
	NodeLog(addr, line string)
	NodeCached(res NodeResult)
	NodeFinished(res NodeResult)
	NodeFailed(res NodeResult)
	NodeSkipped(addr, cause string)
	RunFinished(res RunResult)
}

// NopHook ignores every event; embed it to implement only some methods.
type NopHook struct{}

// RunStarted implements Hook.
func (NopHook) RunStarted(RunInfo) {}

// NodeStarted implements Hook.
func (NopHook) NodeStarted(NodeResult) {}

// NodeProgress implements Hook.
func (NopHook) NodeProgress(string, int64, int64, string) {}

// NodeMetric implements Hook.
func (NopHook) NodeMetric(string, string, int64, float64) {}

// NodeLog implements Hook.
func (NopHook) NodeLog(string, string) {}

// NodeCached implements Hook.
func (NopHook) NodeCached(NodeResult) {}

// NodeFinished implements Hook.
func (NopHook) NodeFinished(NodeResult) {}

// NodeFailed implements Hook.
func (NopHook) NodeFailed(NodeResult) {}

// NodeSkipped implements Hook.
func (NopHook) NodeSkipped(string, string) {}

// RunFinished implements Hook.
func (NopHook) RunFinished(RunResult) {}

// Hooks fans events out to several hooks in order.
type Hooks []Hook

// RunStarted implements Hook.
func (hs Hooks) RunStarted(r RunInfo) {
	for _, h := range hs {
		h.RunStarted(r)
	}
}

// NodeStarted implements Hook.
func (hs Hooks) NodeStarted(r NodeResult) {
	for _, h := range hs {
		h.NodeStarted(r)
	}
}

// NodeProgress implements Hook.
func (hs Hooks) NodeProgress(a string, d, t int64, u string) {
	for _, h := range hs {
		h.NodeProgress(a, d, t, u)
	}
}

// NodeMetric implements Hook.
func (hs Hooks) NodeMetric(a, n string, s int64, v float64) {
	for _, h := range hs {
		h.NodeMetric(a, n, s, v)
	}
}

// NodeLog implements Hook.
func (hs Hooks) NodeLog(a, l string) {
	for _, h := range hs {
		h.NodeLog(a, l)
	}
}

// NodeCached implements Hook.
func (hs Hooks) NodeCached(r NodeResult) {
	for _, h := range hs {
		h.NodeCached(r)
	}
}

// NodeFinished implements Hook.
func (hs Hooks) NodeFinished(r NodeResult) {
	for _, h := range hs {
		h.NodeFinished(r)
	}
}

// NodeFailed implements Hook.
func (hs Hooks) NodeFailed(r NodeResult) {
	for _, h := range hs {
		h.NodeFailed(r)
	}
}

// NodeSkipped implements Hook.
func (hs Hooks) NodeSkipped(a, c string) {
	for _, h := range hs {
		h.NodeSkipped(a, c)
	}
}

// RunFinished implements Hook.
func (hs Hooks) RunFinished(r RunResult) {
	for _, h := range hs {
		h.RunFinished(r)
	}
}
