package views

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/llmflow/llmflow/pipeline"
)

// JSON writes one JSON object per event, one per line. Field names are
// stable: type, time, run, node, and event-specific fields.
type JSON struct {
	mu  sync.Mutex
	enc *json.Encoder
	now func() time.Time
}

// NewJSON returns a JSON-lines view writing to w.
func NewJSON(w io.Writer) *JSON { return &JSON{enc: json.NewEncoder(w), now: time.Now} }

type jsonEvent struct {
	Type     string             `json:"type"`
	Time     string             `json:"time"`
	Run      string             `json:"run,omitempty"`
	Node     string             `json:"node,omitempty"`
	Kind     string             `json:"kind,omitempty"`
	Attempt  int                `json:"attempt,omitempty"`
	Key      string             `json:"key,omitempty"`
	Status   string             `json:"status,omitempty"`
	Done     *int64             `json:"done,omitempty"`
	Total    *int64             `json:"total,omitempty"`
	Unit     string             `json:"unit,omitempty"`
	Name     string             `json:"name,omitempty"`
	Step     *int64             `json:"step,omitempty"`
	Value    *float64           `json:"value,omitempty"`
	Message  string             `json:"message,omitempty"`
	Outputs  map[string]string  `json:"outputs,omitempty"`
	Metrics  map[string]float64 `json:"metrics,omitempty"`
	Duration float64            `json:"duration_s,omitempty"`
	Error    string             `json:"error,omitempty"`
}

func (j *JSON) emit(e jsonEvent) {
	e.Time = j.now().UTC().Format(time.RFC3339Nano)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.enc.Encode(e)
}

// RunStarted implements pipeline.Hook.
func (j *JSON) RunStarted(r pipeline.RunInfo) { j.emit(jsonEvent{Type: "run_started", Run: r.ID}) }

// NodeStarted implements pipeline.Hook.
func (j *JSON) NodeStarted(r pipeline.NodeResult) {
	j.emit(jsonEvent{Type: "node_started", Node: r.Addr, Kind: r.Kind, Attempt: r.Attempt, Key: r.Key})
}

// NodeProgress implements pipeline.Hook.
func (j *JSON) NodeProgress(addr string, done, total int64, unit string) {
	j.emit(jsonEvent{Type: "node_progress", Node: addr, Done: &done, Total: &total, Unit: unit})
}

// NodeMetric implements pipeline.Hook.
func (j *JSON) NodeMetric(addr, name string, step int64, value float64) {
	j.emit(jsonEvent{Type: "node_metric", Node: addr, Name: name, Step: &step, Value: &value})
}

// NodeLog implements pipeline.Hook.
func (j *JSON) NodeLog(addr, line string) {
	j.emit(jsonEvent{Type: "node_log", Node: addr, Message: line})
}

// NodeCached implements pipeline.Hook.
func (j *JSON) NodeCached(r pipeline.NodeResult) {
	j.emit(jsonEvent{Type: "node_cached", Node: r.Addr, Kind: r.Kind, Key: r.Key, Outputs: r.Outputs})
}

// NodeFinished implements pipeline.Hook.
func (j *JSON) NodeFinished(r pipeline.NodeResult) {
	j.emit(jsonEvent{Type: "node_finished", Node: r.Addr, Kind: r.Kind, Attempt: r.Attempt, Key: r.Key,
		Outputs: r.Outputs, Metrics: r.Metrics, Duration: r.Duration.Seconds()})
}

// NodeFailed implements pipeline.Hook.
func (j *JSON) NodeFailed(r pipeline.NodeResult) {
	j.emit(jsonEvent{Type: "node_failed", Node: r.Addr, Kind: r.Kind, Attempt: r.Attempt, Error: r.Err.Error(),
		Duration: r.Duration.Seconds()})
}

// NodeSkipped implements pipeline.Hook.
func (j *JSON) NodeSkipped(addr, cause string) {
	j.emit(jsonEvent{Type: "node_skipped", Node: addr, Message: cause + " failed"})
}

// RunFinished implements pipeline.Hook.
func (j *JSON) RunFinished(r pipeline.RunResult) {
	e := jsonEvent{Type: "run_finished", Run: r.ID, Status: r.Status, Outputs: r.Outputs, Duration: r.Duration.Seconds()}
	if r.Err != nil {
		e.Error = r.Err.Error()
	}
	j.emit(e)
}

// Close implements View.
func (j *JSON) Close() {}
