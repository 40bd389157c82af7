package runstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// RunSummary is a run with counts of its nodes by status, for listings.
type RunSummary struct {
	Run
	Nodes map[string]int `json:"nodes"` // status -> count (latest attempt of each node)
}

const runColumns = `id, pipeline_file, source, variables, llmflow_version, host_name, host_os, host_arch,
	host_cpu, host_num_cpu, gomaxprocs, go_version, pid, pid_start, status, error, started_at, finished_at`

type scanner interface{ Scan(dest ...any) error }

func scanRun(sc scanner, withSource bool) (Run, error) {
	var r Run
	var vars, source string
	var started, finished sql.NullString
	h := &r.Host
	err := sc.Scan(&r.ID, &r.PipelineFile, &source, &vars, &r.Version, &h.Hostname, &h.OS, &h.Arch,
		&h.CPUModel, &h.NumCPU, &h.GOMAXPROCS, &h.GoVersion, &h.PID, &h.PIDStart, &r.Status, &r.Error, &started, &finished)
	if err != nil {
		return r, err
	}
	if withSource {
		r.Source = source
	}
	r.Variables = json.RawMessage(vars)
	r.StartedAt, r.FinishedAt = parseTime(started), parseTime(finished)
	return r, nil
}

// ListOptions filters ListRuns.
type ListOptions struct {
	Limit  int    // 0: all
	Status string // "": any
}

// ListRuns returns runs, newest first, without their source snapshots.
func (s *Store) ListRuns(ctx context.Context, opt ListOptions) ([]RunSummary, error) {
	q := `SELECT ` + runColumns + ` FROM runs`
	var args []any
	if opt.Status != "" {
		q += ` WHERE status = ?`
		args = append(args, opt.Status)
	}
	q += ` ORDER BY started_at DESC, id DESC`
	if opt.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, opt.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var out []RunSummary
	for rows.Next() {
		r, err := scanRun(rows, false)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, RunSummary{Run: r, Nodes: map[string]int{}})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	if err := s.countNodes(ctx, out); err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// countNodes fills the status counts of the listed runs in one query: a
// query per run made a list of a thousand runs take most of a second.
func (s *Store) countNodes(ctx context.Context, runs []RunSummary) error {
	if len(runs) == 0 {
		return nil
	}
	idx := make(map[string]int, len(runs))
	args := make([]any, len(runs))
	for i, r := range runs {
		idx[r.ID] = i
		args[i] = r.ID
	}
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, status, count(*) FROM nodes n
		WHERE run_id IN (SELECT value FROM json_each(?))
		AND attempt = (SELECT MAX(attempt) FROM nodes m WHERE m.run_id = n.run_id AND m.addr = n.addr)
		GROUP BY run_id, status`, jsonList(args))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, st string
		var n int
		if err := rows.Scan(&id, &st, &n); err != nil {
			return err
		}
		if i, ok := idx[id]; ok {
			runs[i].Nodes[st] = n
		}
	}
	return rows.Err()
}

func jsonList(vs []any) string {
	b, _ := json.Marshal(vs)
	return string(b)
}

// ResolveRunID returns the id of the run whose id is ref or starts with
// ref; "latest" names the newest run. An ambiguous prefix is an error.
func (s *Store) ResolveRunID(ctx context.Context, ref string) (string, error) {
	var rows *sql.Rows
	var err error
	if ref == "latest" {
		rows, err = s.db.QueryContext(ctx, `SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1`)
	} else {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(ref)
		rows, err = s.db.QueryContext(ctx, `SELECT id FROM runs WHERE id = ? OR id LIKE ? ESCAPE '\' ORDER BY id LIMIT 3`, ref, esc+"%")
	}
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		if id == ref {
			return id, nil
		}
		ids = append(ids, id)
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("run %q: %w", ref, ErrNotFound)
	case 1:
		return ids[0], nil
	}
	return "", ambiguousError(fmt.Sprintf("run %q is ambiguous: it matches %s and more", ref, strings.Join(ids, ", ")))
}

// ErrAmbiguous is returned (wrapped) when a run id prefix matches several runs.
var ErrAmbiguous = errors.New("ambiguous")

type ambiguousError string

func (e ambiguousError) Error() string        { return string(e) }
func (e ambiguousError) Is(target error) bool { return target == ErrAmbiguous }

// LineageEdge is an Edge with the node it belongs to.
type LineageEdge struct {
	NodeID int64  `json:"node_id"`
	Addr   string `json:"addr"`
	Edge
}

// MetricSummary summarises one metric series of a node (or of the run).
type MetricSummary struct {
	NodeID   int64   `json:"node_id,omitempty"`
	Addr     string  `json:"addr,omitempty"`
	Name     string  `json:"name"`
	Count    int64   `json:"count"`
	LastStep int64   `json:"last_step"`
	Last     float64 `json:"last"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	// FromRun is set for a node served from the cache: the run whose
	// execution computed these figures.
	FromRun string `json:"from_run,omitempty"`
}

// Param is one recorded param.
type Param struct {
	NodeID int64  `json:"node_id,omitempty"`
	Name   string `json:"name"`
	Value  string `json:"value"`
}

// RunDetail is a run with everything recorded about it.
type RunDetail struct {
	Run
	Nodes     []Node          `json:"nodes"`     // in start order, every attempt
	Artifacts []Artifact      `json:"artifacts"` // every artifact in the run's lineage, by digest
	Lineage   []LineageEdge   `json:"lineage"`
	Metrics   []MetricSummary `json:"metrics"`
	Params    []Param         `json:"params"`
	// Outputs are the pipeline's named output values, like terraform
	// output -json: output name -> the artifact it names.
	Outputs map[string]Artifact `json:"outputs,omitempty"`
}

// OutputParamPrefix prefixes the run-level params that record the
// pipeline's named outputs (output:NAME = digest).
const OutputParamPrefix = "output:"

// GetRun returns a run with its nodes, artifacts, lineage, params and
// metric summaries (last, min, max per series).
func (s *Store) GetRun(ctx context.Context, id string) (*RunDetail, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = ?`, id), true)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("run %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get run %s: %w", id, err)
	}
	d := &RunDetail{Run: r}
	for _, load := range []func(context.Context, *RunDetail) error{s.loadNodes, s.loadLineage, s.loadArtifacts, s.loadMetrics, s.loadParams} {
		if err := load(ctx, d); err != nil {
			return nil, fmt.Errorf("get run %s: %w", id, err)
		}
	}
	return d, nil
}

const nodeColumns = `id, run_id, addr, kind, attempt, cache_key, key_components, plugin_name, plugin_version,
	plugin_source, plugin_sha256, status, error, started_at, finished_at`

func scanNode(sc scanner) (Node, error) {
	var n Node
	var comps string
	var started, finished sql.NullString
	err := sc.Scan(&n.ID, &n.RunID, &n.Addr, &n.Kind, &n.Attempt, &n.CacheKey, &comps, &n.Plugin.Name,
		&n.Plugin.Version, &n.Plugin.Source, &n.Plugin.SHA256, &n.Status, &n.Error, &started, &finished)
	n.KeyComponents = json.RawMessage(comps)
	n.StartedAt, n.FinishedAt = parseTime(started), parseTime(finished)
	return n, err
}

func (s *Store) loadNodes(ctx context.Context, d *RunDetail) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+nodeColumns+` FROM nodes WHERE run_id = ? ORDER BY id`, d.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		n, err := scanNode(rows)
		if err != nil {
			return err
		}
		d.Nodes = append(d.Nodes, n)
	}
	return rows.Err()
}

func (s *Store) loadLineage(ctx context.Context, d *RunDetail) error {
	rows, err := s.db.QueryContext(ctx, `SELECT l.node_id, n.addr, l.role, l.name, l.digest
		FROM lineage l JOIN nodes n ON n.id = l.node_id WHERE l.run_id = ? ORDER BY l.node_id, l.role, l.name`, d.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e LineageEdge
		if err := rows.Scan(&e.NodeID, &e.Addr, &e.Role, &e.Name, &e.Digest); err != nil {
			return err
		}
		d.Lineage = append(d.Lineage, e)
	}
	return rows.Err()
}

func (s *Store) loadArtifacts(ctx context.Context, d *RunDetail) error {
	rows, err := s.db.QueryContext(ctx, `SELECT digest, kind, rows, bytes, path FROM artifacts
		WHERE digest IN (SELECT digest FROM lineage WHERE run_id = ?) ORDER BY digest`, d.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a Artifact
		if err := rows.Scan(&a.Digest, &a.Kind, &a.Rows, &a.Bytes, &a.Path); err != nil {
			return err
		}
		d.Artifacts = append(d.Artifacts, a)
	}
	return rows.Err()
}

func (s *Store) loadMetrics(ctx context.Context, d *RunDetail) error {
	if err := s.loadMetricSummaries(ctx, d, `m.run_id = ?`, d.ID, nil); err != nil {
		return err
	}
	// A cached node computed nothing in this run: show the figures of the
	// execution that produced its outputs.
	for _, n := range d.Nodes {
		if n.Status != StatusCached || n.CacheKey == "" {
			continue
		}
		var src int64
		var runID string
		err := s.db.QueryRowContext(ctx, `SELECT id, run_id FROM nodes WHERE cache_key = ? AND status = 'succeeded' AND id < ?
			ORDER BY id DESC LIMIT 1`, n.CacheKey, n.ID).Scan(&src, &runID)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return err
		}
		if err := s.loadMetricSummaries(ctx, d, `m.node_id = ?`, src, &MetricSummary{NodeID: n.ID, Addr: n.Addr, FromRun: runID}); err != nil {
			return err
		}
	}
	return nil
}

// loadMetricSummaries appends the summaries of the series matching where;
// as, when set, gives them the node and origin run of a cached node.
func (s *Store) loadMetricSummaries(ctx context.Context, d *RunDetail, where string, arg any, as *MetricSummary) error {
	// The last value is the one at the highest step, latest insert winning ties.
	rows, err := s.db.QueryContext(ctx, `SELECT IFNULL(m.node_id, 0), IFNULL(n.addr, ''), m.name, count(*),
			MAX(m.step), MIN(m.value), MAX(m.value),
			(SELECT value FROM metrics l WHERE l.run_id = m.run_id AND l.node_id IS m.node_id AND l.name = m.name
				ORDER BY step DESC, rowid DESC LIMIT 1)
		FROM metrics m LEFT JOIN nodes n ON n.id = m.node_id
		WHERE `+where+` GROUP BY m.node_id, m.name ORDER BY IFNULL(m.node_id, 0), m.name`, arg)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var m MetricSummary
		var lo, hi, last sql.NullFloat64
		if err := rows.Scan(&m.NodeID, &m.Addr, &m.Name, &m.Count, &m.LastStep, &lo, &hi, &last); err != nil {
			return err
		}
		if as != nil {
			m.NodeID, m.Addr, m.FromRun = as.NodeID, as.Addr, as.FromRun
		}
		m.Min, m.Max, m.Last = orNaN(lo), orNaN(hi), orNaN(last)
		d.Metrics = append(d.Metrics, m)
	}
	return rows.Err()
}

func (s *Store) loadParams(ctx context.Context, d *RunDetail) error {
	rows, err := s.db.QueryContext(ctx, `SELECT IFNULL(node_id, 0), name, value FROM params WHERE run_id = ?
		ORDER BY IFNULL(node_id, 0), name`, d.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p Param
		if err := rows.Scan(&p.NodeID, &p.Name, &p.Value); err != nil {
			return err
		}
		if name, ok := strings.CutPrefix(p.Name, OutputParamPrefix); ok && p.NodeID == 0 {
			d.addOutput(name, p.Value)
			continue
		}
		d.Params = append(d.Params, p)
	}
	return rows.Err()
}

func (d *RunDetail) addOutput(name, digest string) {
	if d.Outputs == nil {
		d.Outputs = map[string]Artifact{}
	}
	a := Artifact{Digest: digest}
	for _, known := range d.Artifacts {
		if known.Digest == digest {
			a = known
		}
	}
	d.Outputs[name] = a
}

// MetricSeries returns the points of one metric of a node (0: of the run)
// in step order.
func (s *Store) MetricSeries(ctx context.Context, runID string, nodeID int64, name string) ([]Metric, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT step, name, value FROM metrics
		WHERE run_id = ? AND node_id IS ? AND name = ? ORDER BY step, rowid`, runID, nullID(nodeID), name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Metric
	for rows.Next() {
		var m Metric
		var v sql.NullFloat64
		if err := rows.Scan(&m.Step, &m.Name, &v); err != nil {
			return nil, err
		}
		m.Value = orNaN(v)
		out = append(out, m)
	}
	return out, rows.Err()
}

// Events returns a run's events in order; limit 0 returns all.
func (s *Store) Events(ctx context.Context, runID string, limit int) ([]Event, error) {
	q := `SELECT run_id, IFNULL(node_id, 0), time, type, message FROM events WHERE run_id = ? ORDER BY id`
	args := []any{runID}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var t sql.NullString
		if err := rows.Scan(&e.RunID, &e.NodeID, &t, &e.Type, &e.Message); err != nil {
			return nil, err
		}
		e.Time = parseTime(t)
		out = append(out, e)
	}
	return out, rows.Err()
}

// LatestNodeByKey returns the most recent successful (succeeded or cached)
// execution of the node at addr that recorded a cache key; nil when there
// is none. Runs of pipelineFile come first, then runs of any other file,
// so a pipeline copied to a new name still has its nodes' history. Plan
// compares its KeyComponents with the current ones to say what changed.
func (s *Store) LatestNodeByKey(ctx context.Context, pipelineFile, addr string) (*Node, error) {
	q := `SELECT ` + prefixed("n.", nodeColumns) + ` FROM nodes n JOIN runs r ON r.id = n.run_id
		WHERE n.addr = ? AND n.cache_key != '' AND n.status IN ('succeeded', 'cached')
		ORDER BY r.pipeline_file = ? DESC, n.id DESC LIMIT 1`
	n, err := scanNode(s.db.QueryRowContext(ctx, q, addr, pipelineFile))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("latest node %s: %w", addr, err)
	}
	return &n, nil
}

// NodeOutput is an output a node recorded in a run.
type NodeOutput struct {
	RunID  string
	Digest string
}

// LatestOutput returns the output called name of the node at addr in the
// newest run in which that node succeeded or was served from the cache;
// ErrNotFound when no run has one.
func (s *Store) LatestOutput(ctx context.Context, addr, name string) (NodeOutput, error) {
	var o NodeOutput
	err := s.db.QueryRowContext(ctx, `SELECT r.id, l.digest FROM nodes n
		JOIN runs r ON r.id = n.run_id
		JOIN lineage l ON l.node_id = n.id AND l.role = 'output' AND l.name = ?
		WHERE n.addr = ? AND n.status IN ('succeeded', 'cached')
		ORDER BY r.started_at DESC, r.id DESC, n.id DESC LIMIT 1`, name, addr).Scan(&o.RunID, &o.Digest)
	if err == sql.ErrNoRows {
		return o, fmt.Errorf("no run in which %s succeeded has an output %q: %w", addr, name, ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("latest output of %s: %w", addr, err)
	}
	return o, nil
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func orNaN(v sql.NullFloat64) float64 {
	if !v.Valid {
		return math.NaN()
	}
	return v.Float64
}

// ReferencedDigests returns every artifact digest that a recorded run
// produced or consumed: what garbage collection of a store must keep.
func (s *Store) ReferencedDigests(ctx context.Context) (map[string]bool, error) {
	out, err := s.stringSet(ctx, `SELECT digest FROM artifacts UNION SELECT digest FROM lineage`)
	if err != nil {
		return nil, fmt.Errorf("referenced artifacts: %w", err)
	}
	return out, nil
}

// stringSet returns the values of the one text column query selects.
func (s *Store) stringSet(ctx context.Context, query string, args ...any) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = true
	}
	return out, rows.Err()
}

// LatestOutputs returns every output (name -> digest) of the node at addr
// in the newest run in which it succeeded or was served from the cache,
// and that run's id; ErrNotFound when no run has one.
func (s *Store) LatestOutputs(ctx context.Context, addr string) (map[string]string, string, error) {
	var runID string
	var nodeID int64
	err := s.db.QueryRowContext(ctx, `SELECT r.id, n.id FROM nodes n JOIN runs r ON r.id = n.run_id
		WHERE n.addr = ? AND n.status IN ('succeeded', 'cached')
		AND EXISTS (SELECT 1 FROM lineage l WHERE l.node_id = n.id AND l.role = 'output')
		ORDER BY r.started_at DESC, r.id DESC, n.id DESC LIMIT 1`, addr).Scan(&runID, &nodeID)
	if err == sql.ErrNoRows {
		return nil, "", fmt.Errorf("no run in which %s succeeded recorded its outputs: %w", addr, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("latest outputs of %s: %w", addr, err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, digest FROM lineage WHERE node_id = ? AND role = 'output'`, nodeID)
	if err != nil {
		return nil, "", fmt.Errorf("latest outputs of %s: %w", addr, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, d string
		if err := rows.Scan(&name, &d); err != nil {
			return nil, "", err
		}
		out[name] = d
	}
	return out, runID, rows.Err()
}

// NodeParams returns the params (attribute -> JSON value) recorded for a
// node execution.
func (s *Store) NodeParams(ctx context.Context, nodeID int64) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, value FROM params WHERE node_id = ?`, nodeID)
	if err != nil {
		return nil, fmt.Errorf("params of node %d: %w", nodeID, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// FailedKeys returns the cache key of every node attempt that failed in a
// recorded run: their job directories in the store are kept as evidence
// while the run is.
func (s *Store) FailedKeys(ctx context.Context) (map[string]bool, error) {
	out, err := s.stringSet(ctx, `SELECT DISTINCT cache_key FROM nodes WHERE status = ? AND cache_key != ''`, StatusFailed)
	if err != nil {
		return nil, fmt.Errorf("failed nodes: %w", err)
	}
	return out, nil
}
