package runstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"sync"
	"time"
)

// Metric is one point of a metric series.
type Metric struct {
	Step  int64   `json:"step"`
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// AddMetrics records a batch of points of a run (nodeID 0) or node in one
// transaction. NaN and ±Inf are stored as NULL (SQLite has no NaN).
func (s *Store) AddMetrics(ctx context.Context, runID string, nodeID int64, ms []Metric) error {
	if len(ms) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT INTO metrics (run_id, node_id, step, name, value) VALUES (?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		nid := nullID(nodeID)
		for _, m := range ms {
			var v any = m.Value
			if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
				v = nil
			}
			if _, err := st.ExecContext(ctx, runID, nid, m.Step, m.Name, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add metrics to run %s: %w", runID, err)
	}
	return nil
}

// MetricWriter buffers metric points of one run or node and writes them in
// batches: when MaxBatch points are pending or MaxDelay has passed since the
// last write. It is safe for concurrent use. Close flushes.
type MetricWriter struct {
	s      *Store
	runID  string
	nodeID int64

	// MaxBatch and MaxDelay bound the buffered points; set them before use.
	MaxBatch int
	MaxDelay time.Duration

	mu      sync.Mutex
	pending []Metric
	last    time.Time
}

// NewMetricWriter returns a buffered metric writer for a run (nodeID 0) or node.
func (s *Store) NewMetricWriter(runID string, nodeID int64) *MetricWriter {
	return &MetricWriter{s: s, runID: runID, nodeID: nodeID, MaxBatch: 512, MaxDelay: time.Second, last: time.Now()}
}

// Add buffers a point, writing the batch when it is due.
func (w *MetricWriter) Add(ctx context.Context, step int64, name string, value float64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, Metric{Step: step, Name: name, Value: value})
	if len(w.pending) >= w.MaxBatch || time.Since(w.last) >= w.MaxDelay {
		return w.flushLocked(ctx)
	}
	return nil
}

// Flush writes the buffered points.
func (w *MetricWriter) Flush(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.flushLocked(ctx)
}

func (w *MetricWriter) flushLocked(ctx context.Context) error {
	w.last = time.Now()
	if len(w.pending) == 0 {
		return nil
	}
	err := w.s.AddMetrics(ctx, w.runID, w.nodeID, w.pending)
	w.pending = w.pending[:0]
	return err
}

// Close flushes the buffered points.
func (w *MetricWriter) Close(ctx context.Context) error { return w.Flush(ctx) }
