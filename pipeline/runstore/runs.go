package runstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// Run statuses.
const (
	StatusRunning     = "running"
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
	// Node-only statuses.
	StatusCached  = "cached"  // outputs found in the cache; nothing ran
	StatusSkipped = "skipped" // not run because a dependency failed
)

// NewRun describes a run being started.
type NewRun struct {
	// ID is the run id; CreateRun generates a sortable one when empty.
	ID string
	// PipelineFile is the pipeline file name as given on the command line.
	PipelineFile string
	// Source is the snapshot of the pipeline source that ran.
	Source string
	// Variables is a JSON object of the resolved variables. Sensitive
	// variables must be left out by the caller.
	Variables json.RawMessage
	// Version is the llmflow version.
	Version string
	// Host is the machine and process; CreateRun fills CurrentHost() when zero.
	Host HostFacts
	// StartedAt defaults to now.
	StartedAt time.Time
}

// Run is a recorded run.
type Run struct {
	ID           string          `json:"id"`
	PipelineFile string          `json:"pipeline_file"`
	Source       string          `json:"source,omitempty"`
	Variables    json.RawMessage `json:"variables"`
	Version      string          `json:"llmflow_version"`
	Host         HostFacts       `json:"host"`
	Status       string          `json:"status"`
	Error        string          `json:"error,omitempty"`
	StartedAt    time.Time       `json:"started_at"`
	FinishedAt   time.Time       `json:"finished_at,omitzero"`
}

// NewRunID returns a run id that sorts by start time: "20060102-150405-<6 hex>".
func NewRunID(t time.Time) string {
	var b [3]byte
	rand.Read(b[:])
	return t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// CreateRun records a new run with status running and returns its id.
func (s *Store) CreateRun(ctx context.Context, r NewRun) (string, error) {
	if r.StartedAt.IsZero() {
		r.StartedAt = time.Now()
	}
	if r.ID == "" {
		r.ID = NewRunID(r.StartedAt)
	}
	if r.Host == (HostFacts{}) {
		r.Host = CurrentHost()
	}
	vars := string(r.Variables)
	if vars == "" {
		vars = "{}"
	}
	if !json.Valid([]byte(vars)) {
		return "", fmt.Errorf("create run %s: variables are not valid JSON", r.ID)
	}
	h := r.Host
	_, err := s.exec(ctx, `INSERT INTO runs (id, pipeline_file, source, variables, llmflow_version,
		host_name, host_os, host_arch, host_cpu, host_num_cpu, gomaxprocs, go_version, pid, pid_start,
		status, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.PipelineFile, r.Source, vars, r.Version,
		h.Hostname, h.OS, h.Arch, h.CPUModel, h.NumCPU, h.GOMAXPROCS, h.GoVersion, h.PID, h.PIDStart,
		StatusRunning, formatTime(r.StartedAt))
	if err != nil {
		return "", fmt.Errorf("create run %s: %w", r.ID, err)
	}
	return r.ID, nil
}

// UpdateRun sets a run's status and error message; a terminal status
// (anything but running) also sets finished_at to now.
func (s *Store) UpdateRun(ctx context.Context, id, status, errMsg string) error {
	switch status {
	case StatusRunning, StatusSucceeded, StatusFailed, StatusInterrupted:
	default:
		return fmt.Errorf("update run %s: invalid status %q", id, status)
	}
	var finished any
	if status != StatusRunning {
		finished = formatTime(time.Now())
	}
	res, err := s.exec(ctx, `UPDATE runs SET status = ?, error = ?, finished_at = ? WHERE id = ?`, status, errMsg, finished, id)
	if err != nil {
		return fmt.Errorf("update run %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("update run %s: %w", id, ErrNotFound)
	}
	return nil
}
