package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/llmflow/llmflow/artifact"
)

// A node that runs away from the host is a job: the host writes its spec
// into a job directory in the store, an executor starts the job command
// on that directory, and the job reports through two files there, so the
// host stays the only process that writes the run database.
const (
	jobSpecFile   = "spec.json"    // JobSpec, mode 0600: configs may hold secrets
	jobEventsFile = "events.jsonl" // one jobEvent a line, appended while the node runs
	jobResultFile = "result.json"  // jobResult, renamed into place when the node ends
)

// JobRunner starts a job's command outside the host process and waits
// for it. Implementations must be safe for concurrent use.
type JobRunner interface {
	// RunJob returns nil when every task of the job exited 0. When ctx
	// ends it cancels the job before returning.
	RunJob(ctx context.Context, job *Job) error
}

// Job is one submission of a node.
type Job struct {
	Name     string   // shown by the scheduler, "llmflow:clean.web"
	Dir      string   // the job directory: spec, scripts, logs, reports
	Command  []string // run once per task; the task index is in $LLMFLOW_TASK
	Tasks    int      // > 1: an array of tasks
	Executor *Executor
	// Fresh is called before a new submission; a runner that attaches to
	// a job still queued from an earlier host does not call it.
	Fresh func() error
	Log   func(line string)
	// Finished, when set, tells whether the work of an array's tasks is
	// done although some may not have started: the runner may cancel
	// those, and the caller then judges the job by what the tasks left.
	Finished func() bool
}

// TaskEnv is the variable that gives a task of a job its index.
const TaskEnv = "LLMFLOW_TASK"

// JobSpec is everything a node needs to run in a process of its own.
type JobSpec struct {
	Addr       string                     `json:"node"`
	Type       string                     `json:"type"` // block type, "stage" for stages
	Kind       string                     `json:"kind"`
	Key        string                     `json:"key"`
	Store      string                     `json:"store"`
	Dir        string                     `json:"dir"`            // pipeline directory
	Pipeline   string                     `json:"pipeline"`       // pipeline file: built-ins are decoded from it again
	Source     []byte                     `json:"source"`         // its bytes when the run planned it
	Vars       map[string]json.RawMessage `json:"vars,omitempty"` // variable values, cty JSON with types
	Config     json.RawMessage            `json:"config"`         // built-ins: canonical JSON, to check the decoding; stages: cty JSON
	ConfigType json.RawMessage            `json:"config_type,omitempty"`
	Plugin     StagePlugin                `json:"plugin"`
	Seed       int64                      `json:"seed"`
	Inputs     map[string]Input           `json:"inputs"`
	NoCache    bool                       `json:"no_cache,omitempty"`
	Shards     int                        `json:"shards,omitempty"` // > 1: run as tasks (JobPart) and a merge
	// Secrets are the sensitive values the job redacts from its events,
	// result and log; the spec holds them anyway, to decode the node.
	Secrets []string `json:"secrets,omitempty"`
}

// JobPart is what one process of a sharded node's job runs: one task of
// the job array, or the merge after it.
type JobPart struct {
	Task  int
	Merge bool
	// TimeLeft, when set, returns how long the task has before the
	// cluster stops it, and false when that is not known; nil means no
	// limit. A task takes on another shard, or the merge, only while it
	// has twice the time it has run so far left.
	TimeLeft func() (time.Duration, bool)
}

// timeFor tells whether a task that has run for ran may take on more.
func (p JobPart) timeFor(ran time.Duration) bool {
	if p.TimeLeft == nil {
		return true
	}
	left, ok := p.TimeLeft()
	return ok && left >= 2*ran
}

// shardDir is where a sharded job's tasks leave their parts.
func shardDir(dir string) string { return filepath.Join(dir, "shards") }

// taskResultFile is the result of task i of a sharded job.
func taskResultFile(i int) string { return fmt.Sprintf("result-%05d.json", i) }

// jobEvent is one report of a running job.
type jobEvent struct {
	Type  string  `json:"t"` // progress, metric, log
	Done  int64   `json:"done,omitempty"`
	Total int64   `json:"total,omitempty"`
	Unit  string  `json:"unit,omitempty"`
	Name  string  `json:"name,omitempty"`
	Step  int64   `json:"step,omitempty"`
	Value float64 `json:"value,omitempty"`
	Line  string  `json:"line,omitempty"`
	// A task of a sharded node reports its own progress; the host sums.
	Task  int `json:"task,omitempty"`
	Tasks int `json:"tasks,omitempty"`
}

// jobResult is how a job ended, as the job itself saw it.
type jobResult struct {
	Outputs map[string]string  `json:"outputs,omitempty"`
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Error   string             `json:"error,omitempty"`
}

// jobDir is the job directory of a node cache key. It lies outside
// <store>/tmp because it must outlive the host: a job still queued when
// the host dies is found there by the next run.
func jobDir(s *artifact.Store, key string) string {
	return filepath.Join(s.Dir(), "jobs", key)
}

func writeJSONFile(path string, v any, mode os.FileMode) error {
	b, err := json.Marshal(v) // not indented: that would rewrite the raw canonical configs
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadJobSpec reads the spec in a job directory.
func ReadJobSpec(dir string) (*JobSpec, error) {
	b, err := os.ReadFile(filepath.Join(dir, jobSpecFile))
	if err != nil {
		return nil, err
	}
	var s JobSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, jobSpecFile), err)
	}
	if s.Addr == "" || s.Key == "" || s.Store == "" {
		return nil, fmt.Errorf("%s: node, key and store are required", filepath.Join(dir, jobSpecFile))
	}
	return &s, nil
}

// readJobResult returns the result a job wrote, or nil when it wrote none.
func readJobResult(dir string) (*jobResult, error) {
	return readResultFile(filepath.Join(dir, jobResultFile))
}

func readResultFile(path string) (*jobResult, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var res jobResult
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &res, nil
}

// eventTail forwards the events a job appends to its file to a hook.
type eventTail struct {
	path   string
	addr   string
	hook   Hook
	shards *shardProgress // a sharded node's; nil for others
	offset int64
	carry  []byte // a line not yet complete
}

// poll forwards the complete lines written since the last call.
func (t *eventTail) poll() {
	f, err := os.Open(t.path)
	if err != nil {
		return
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() < t.offset {
		t.offset, t.carry = 0, nil // a new job started the file again
	}
	buf := make([]byte, 64<<10)
	for {
		n, err := f.ReadAt(buf, t.offset)
		t.offset += int64(n)
		t.carry = append(t.carry, buf[:n]...)
		if n == 0 || err != nil {
			break
		}
	}
	for {
		i := bytes.IndexByte(t.carry, '\n')
		if i < 0 {
			return
		}
		t.forward(t.carry[:i])
		t.carry = t.carry[i+1:]
	}
}

func (t *eventTail) forward(line []byte) {
	var ev jobEvent
	if json.Unmarshal(line, &ev) != nil {
		return
	}
	switch ev.Type {
	case "progress":
		if ev.Tasks > 0 && t.shards != nil {
			t.shards.add(ev.Task, ev.Done, ev.Total, func(done, total int64) { t.hook.NodeProgress(t.addr, done, total, ev.Unit) })
			return
		}
		t.hook.NodeProgress(t.addr, ev.Done, ev.Total, ev.Unit)
	case "metric":
		t.hook.NodeMetric(t.addr, ev.Name, ev.Step, ev.Value)
	case "log":
		t.hook.NodeLog(t.addr, ev.Line)
	}
}
