package runstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Plugin identifies the plugin that ran a node (empty for built-in node types).
type Plugin struct {
	Name    string `json:"name,omitempty"`
	Version string `json:"version,omitempty"`
	Source  string `json:"source,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
}

// NodeStart describes a node execution being started.
type NodeStart struct {
	RunID   string
	Addr    string // e.g. "clean.web", "stage.pretrain.base"
	Kind    string // block type, e.g. "clean", "stage"
	Attempt int    // 1-based; defaults to 1
	// CacheKey is the node's cache key and KeyComponents the JSON object of
	// what went into it (config, inputs, plugin, seed), so a later plan can
	// tell which component changed.
	CacheKey      string
	KeyComponents json.RawMessage
	Plugin        Plugin
	// Status defaults to running; a cache hit is recorded as cached directly.
	Status    string
	StartedAt time.Time // defaults to now
}

// Node is a recorded node execution.
type Node struct {
	ID            int64           `json:"id"`
	RunID         string          `json:"run_id"`
	Addr          string          `json:"addr"`
	Kind          string          `json:"kind"`
	Attempt       int             `json:"attempt"`
	CacheKey      string          `json:"cache_key,omitempty"`
	KeyComponents json.RawMessage `json:"key_components,omitempty"`
	Plugin        Plugin          `json:"plugin,omitzero"`
	Status        string          `json:"status"`
	Error         string          `json:"error,omitempty"`
	StartedAt     time.Time       `json:"started_at"`
	FinishedAt    time.Time       `json:"finished_at,omitzero"`
}

func validNodeStatus(s string) bool {
	switch s {
	case StatusRunning, StatusSucceeded, StatusFailed, StatusCached, StatusSkipped, StatusInterrupted:
		return true
	}
	return false
}

// StartNode records a node execution and returns its id, which the other
// node-level calls take. A terminal Status (cached, skipped) also sets
// finished_at.
func (s *Store) StartNode(ctx context.Context, n NodeStart) (int64, error) {
	if n.Attempt == 0 {
		n.Attempt = 1
	}
	if n.Status == "" {
		n.Status = StatusRunning
	}
	if !validNodeStatus(n.Status) {
		return 0, fmt.Errorf("start node %s: invalid status %q", n.Addr, n.Status)
	}
	if n.StartedAt.IsZero() {
		n.StartedAt = time.Now()
	}
	comps := string(n.KeyComponents)
	if comps == "" {
		comps = "{}"
	}
	if !json.Valid([]byte(comps)) {
		return 0, fmt.Errorf("start node %s: key components are not valid JSON", n.Addr)
	}
	var finished any
	if n.Status != StatusRunning {
		finished = formatTime(n.StartedAt)
	}
	res, err := s.exec(ctx, `INSERT INTO nodes (run_id, addr, kind, attempt, cache_key, key_components,
		plugin_name, plugin_version, plugin_source, plugin_sha256, status, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		n.RunID, n.Addr, n.Kind, n.Attempt, n.CacheKey, comps,
		n.Plugin.Name, n.Plugin.Version, n.Plugin.Source, n.Plugin.SHA256, n.Status, formatTime(n.StartedAt), finished)
	if err != nil {
		return 0, fmt.Errorf("start node %s (run %s, attempt %d): %w", n.Addr, n.RunID, n.Attempt, err)
	}
	return res.LastInsertId()
}

// FinishNode sets a node's final status, error message and finished_at.
func (s *Store) FinishNode(ctx context.Context, nodeID int64, status, errMsg string) error {
	if !validNodeStatus(status) || status == StatusRunning {
		return fmt.Errorf("finish node %d: invalid status %q", nodeID, status)
	}
	res, err := s.exec(ctx, `UPDATE nodes SET status = ?, error = ?, finished_at = ? WHERE id = ?`,
		status, errMsg, formatTime(time.Now()), nodeID)
	if err != nil {
		return fmt.Errorf("finish node %d: %w", nodeID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finish node %d: %w", nodeID, ErrNotFound)
	}
	return nil
}
