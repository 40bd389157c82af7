package runstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"
)

// MarkStaleRunsInterrupted marks as interrupted every run still "running"
// whose process is gone: started on this host by a PID that no longer runs
// (or now belongs to a different process). Their running nodes are marked
// interrupted too. Runs of other hosts are left alone. It returns the ids
// it marked.
func (s *Store) MarkStaleRunsInterrupted(ctx context.Context) ([]string, error) {
	host, _ := os.Hostname()
	rows, err := s.db.QueryContext(ctx, `SELECT id, pid, pid_start FROM runs WHERE status = 'running' AND host_name = ?`, host)
	if err != nil {
		return nil, fmt.Errorf("find stale runs: %w", err)
	}
	var stale []string
	for rows.Next() {
		var id, start string
		var pid int
		if err := rows.Scan(&id, &pid, &start); err != nil {
			rows.Close()
			return nil, err
		}
		if !processAlive(pid, start) {
			stale = append(stale, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	now := formatTime(time.Now())
	for _, id := range stale {
		err := s.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'interrupted', finished_at = ?,
				error = CASE WHEN error = '' THEN 'the llmflow process running it was killed' ELSE error END
				WHERE id = ? AND status = 'running'`, now, id); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `UPDATE nodes SET status = 'interrupted', finished_at = ?
				WHERE run_id = ? AND status = 'running'`, now, id)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("mark run %s interrupted: %w", id, err)
		}
	}
	return stale, nil
}

// processAlive reports whether pid runs and, when start is known, is the
// same process instance that recorded it.
func processAlive(pid int, start string) bool {
	if pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return start == "" || start == processStart(pid)
	}
	if cur := processStart(pid); cur != "" || start != "" {
		return cur != "" && (start == "" || cur == start)
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return signalZero(p) == nil
}
