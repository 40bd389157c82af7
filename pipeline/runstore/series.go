package runstore

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
)

// NodeMetric is a metric point with the node execution that reported it.
type NodeMetric struct {
	Node    string  `json:"node,omitempty"` // "" for run-level points
	Attempt int     `json:"attempt,omitempty"`
	Step    int64   `json:"step"`
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
}

// RunMetrics returns every metric point of a run, or of the node at addr
// when addr is not empty, ordered by node execution, name and step.
func (s *Store) RunMetrics(ctx context.Context, runID, addr string) ([]NodeMetric, error) {
	q := `SELECT IFNULL(n.addr, ''), IFNULL(n.attempt, 0), m.step, m.name, m.value
		FROM metrics m LEFT JOIN nodes n ON n.id = m.node_id WHERE m.run_id = ?`
	args := []any{runID}
	if addr != "" {
		q += ` AND n.addr = ?`
		args = append(args, addr)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY IFNULL(m.node_id, 0), m.name, m.step, m.rowid`, args...)
	if err != nil {
		return nil, fmt.Errorf("metrics of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []NodeMetric
	for rows.Next() {
		var m NodeMetric
		var v sql.NullFloat64
		if err := rows.Scan(&m.Node, &m.Attempt, &m.Step, &m.Name, &v); err != nil {
			return nil, err
		}
		m.Value = orNaN(v)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Curve is one metric series of a node as a chart draws it: a point per
// step, continued across the attempts that led to this one.
type Curve struct {
	Node   string    `json:"node"`
	Name   string    `json:"name"`
	Steps  []int64   `json:"steps"`
	Values []float64 `json:"values"`
	// ResumedAt holds the first step of every attempt after the first
	// that contributed points: where a resumed run took over.
	ResumedAt []int64 `json:"resumed_at,omitempty"`
}

// Curves returns the step series of every node of a run: metrics with more
// than one point or a point past step 0 (a node's summary figures are
// single points at step 0 and are left out). A node that resumed work
// (a retried attempt, or a later run continuing an interrupted one under
// the same cache key) gets the earlier attempts' points for the steps it
// did not redo, so its curve is continuous.
func (s *Store) Curves(ctx context.Context, runID string) ([]Curve, error) {
	nodes, err := s.curveNodes(ctx, runID)
	if err != nil {
		return nil, fmt.Errorf("curves of run %s: %w", runID, err)
	}
	var out []Curve
	for _, n := range nodes {
		cs, err := s.nodeCurves(ctx, n)
		if err != nil {
			return nil, fmt.Errorf("curves of run %s: %w", runID, err)
		}
		out = append(out, cs...)
	}
	return out, nil
}

type curveNode struct {
	addr    string
	sources []int64 // node executions whose points make the curve, oldest first
}

// curveNodes finds, for the last attempt of each node of the run, the
// executions of the same cache key that ran before it and did not finish:
// the ones it resumed from.
func (s *Store) curveNodes(ctx context.Context, runID string) ([]curveNode, error) {
	// A cached node's curve is that of the execution that produced it.
	rows, err := s.db.QueryContext(ctx, `SELECT n.addr, n.cache_key, CASE WHEN n.status = 'cached' THEN
			IFNULL((SELECT MAX(p.id) FROM nodes p WHERE p.cache_key = n.cache_key AND p.status = 'succeeded' AND p.id < n.id), 0)
			ELSE n.id END
		FROM nodes n
		WHERE n.run_id = ? AND n.id = (SELECT MAX(id) FROM nodes m WHERE m.run_id = n.run_id AND m.addr = n.addr)
		ORDER BY n.id`, runID)
	if err != nil {
		return nil, err
	}
	type last struct {
		addr string
		id   int64
		key  string
	}
	var lasts []last
	for rows.Next() {
		var l last
		if err := rows.Scan(&l.addr, &l.key, &l.id); err != nil {
			rows.Close()
			return nil, err
		}
		lasts = append(lasts, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []curveNode
	for _, l := range lasts {
		if l.id == 0 {
			continue
		}
		var ids []int64
		if l.key != "" {
			if ids, err = s.earlierAttempts(ctx, l.key, l.id); err != nil {
				return nil, err
			}
		}
		out = append(out, curveNode{addr: l.addr, sources: append(ids, l.id)})
	}
	return out, nil
}

// earlierAttempts returns the unfinished executions of key before node id
// and after its last completed one, oldest first.
func (s *Store) earlierAttempts(ctx context.Context, key string, id int64) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM nodes WHERE cache_key = ? AND id < ?
		AND status IN ('failed', 'interrupted', 'running')
		AND id > IFNULL((SELECT MAX(id) FROM nodes WHERE cache_key = ? AND id < ? AND status = 'succeeded'), 0)
		ORDER BY id`, key, id, key, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var i int64
		if err := rows.Scan(&i); err != nil {
			return nil, err
		}
		ids = append(ids, i)
	}
	return ids, rows.Err()
}

type stepPoint struct {
	value float64
	src   int
}

// nodeCurves merges the points of n's executions, a later execution's point
// replacing an earlier one's at the same step.
func (s *Store) nodeCurves(ctx context.Context, n curveNode) ([]Curve, error) {
	byName := map[string]map[int64]stepPoint{}
	for i, id := range n.sources {
		rows, err := s.db.QueryContext(ctx, `SELECT name, step, value FROM metrics WHERE node_id = ? ORDER BY rowid`, id)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var name string
			var step int64
			var v sql.NullFloat64
			if err := rows.Scan(&name, &step, &v); err != nil {
				rows.Close()
				return nil, err
			}
			pts := byName[name]
			if pts == nil {
				pts = map[int64]stepPoint{}
				byName[name] = pts
			}
			pts[step] = stepPoint{orNaN(v), i}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	names := make([]string, 0, len(byName))
	for name, pts := range byName {
		if _, single := pts[0]; len(pts) > 1 || !single {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	out := make([]Curve, 0, len(names))
	for _, name := range names {
		out = append(out, makeCurve(n.addr, name, byName[name]))
	}
	return out, nil
}

func makeCurve(addr, name string, pts map[int64]stepPoint) Curve {
	c := Curve{Node: addr, Name: name, Steps: make([]int64, 0, len(pts)), Values: make([]float64, 0, len(pts))}
	for step := range pts {
		c.Steps = append(c.Steps, step)
	}
	sort.Slice(c.Steps, func(i, j int) bool { return c.Steps[i] < c.Steps[j] })
	src := -1
	for i, step := range c.Steps {
		p := pts[step]
		c.Values = append(c.Values, p.value)
		if i > 0 && p.src != src {
			c.ResumedAt = append(c.ResumedAt, step)
		}
		src = p.src
	}
	return c
}
