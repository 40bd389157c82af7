package runstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"
)

// Artifact is a committed artifact as recorded in the run store.
type Artifact struct {
	Digest string `json:"digest"`
	Kind   string `json:"kind"`
	Rows   int64  `json:"rows,omitempty"`
	Bytes  int64  `json:"bytes"`
	Path   string `json:"path,omitempty"`
}

// RecordArtifact records an artifact; recording a known digest again
// updates its path (the store may have moved) and keeps the rest.
func (s *Store) RecordArtifact(ctx context.Context, a Artifact) error {
	if a.Digest == "" {
		return fmt.Errorf("record artifact: empty digest")
	}
	_, err := s.exec(ctx, `INSERT INTO artifacts (digest, kind, rows, bytes, path, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (digest) DO UPDATE SET path = excluded.path`,
		a.Digest, a.Kind, a.Rows, a.Bytes, a.Path, formatTime(time.Now()))
	if err != nil {
		return fmt.Errorf("record artifact %s: %w", a.Digest, err)
	}
	return nil
}

// Lineage roles.
const (
	RoleInput  = "input"
	RoleOutput = "output"
)

// Edge is one input or output of a node.
type Edge struct {
	Role   string `json:"role"` // RoleInput or RoleOutput
	Name   string `json:"name"` // port name, e.g. "data", "model"
	Digest string `json:"digest"`
}

// RecordLineage records a node's input and output edges in one
// transaction; recording the same edge twice is a no-op.
func (s *Store) RecordLineage(ctx context.Context, nodeID int64, edges ...Edge) error {
	for _, e := range edges {
		if e.Role != RoleInput && e.Role != RoleOutput {
			return fmt.Errorf("record lineage of node %d: invalid role %q", nodeID, e.Role)
		}
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var runID string
		if err := tx.QueryRowContext(ctx, `SELECT run_id FROM nodes WHERE id = ?`, nodeID).Scan(&runID); err != nil {
			if err == sql.ErrNoRows {
				return ErrNotFound
			}
			return err
		}
		st, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO lineage (run_id, node_id, role, name, digest) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, e := range edges {
			if _, err := st.ExecContext(ctx, runID, nodeID, e.Role, e.Name, e.Digest); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record lineage of node %d: %w", nodeID, err)
	}
	return nil
}

// RecordParams records name -> value params of a run (nodeID 0) or of a
// node, replacing earlier values of the same names, in one transaction.
func (s *Store) RecordParams(ctx context.Context, runID string, nodeID int64, params map[string]string) error {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO params (run_id, node_id, name, value) VALUES (?, ?, ?, ?)
			ON CONFLICT (run_id, IFNULL(node_id, 0), name) DO UPDATE SET value = excluded.value`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, k := range names {
			if _, err := st.ExecContext(ctx, runID, nullID(nodeID), k, params[k]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record params of run %s: %w", runID, err)
	}
	return nil
}

// Event is a timestamped message of a run or node.
type Event struct {
	RunID   string    `json:"run_id"`
	NodeID  int64     `json:"node_id,omitempty"` // 0 for run-level events
	Time    time.Time `json:"time"`              // defaults to now
	Type    string    `json:"type"`              // e.g. "log", "retry", "warning"
	Message string    `json:"message"`
}

// AddEvent records an event.
func (s *Store) AddEvent(ctx context.Context, e Event) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	_, err := s.exec(ctx, `INSERT INTO events (run_id, node_id, time, type, message) VALUES (?, ?, ?, ?, ?)`,
		e.RunID, nullID(e.NodeID), formatTime(e.Time), e.Type, e.Message)
	if err != nil {
		return fmt.Errorf("add event to run %s: %w", e.RunID, err)
	}
	return nil
}
