package runstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrations are applied in order; migrations[i] brings the schema to
// version i+1. Never edit a released migration: append a new one.
var migrations = []string{
	// 1: initial schema.
	`
CREATE TABLE runs (
	id              TEXT PRIMARY KEY,
	pipeline_file   TEXT NOT NULL,
	source          TEXT NOT NULL,
	variables       TEXT NOT NULL DEFAULT '{}',
	llmflow_version TEXT NOT NULL DEFAULT '',
	host_name       TEXT NOT NULL DEFAULT '',
	host_os         TEXT NOT NULL DEFAULT '',
	host_arch       TEXT NOT NULL DEFAULT '',
	host_cpu        TEXT NOT NULL DEFAULT '',
	host_num_cpu    INTEGER NOT NULL DEFAULT 0,
	gomaxprocs      INTEGER NOT NULL DEFAULT 0,
	go_version      TEXT NOT NULL DEFAULT '',
	pid             INTEGER NOT NULL DEFAULT 0,
	pid_start       TEXT NOT NULL DEFAULT '',
	status          TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
	error           TEXT NOT NULL DEFAULT '',
	started_at      TEXT NOT NULL,
	finished_at     TEXT
);
CREATE INDEX runs_started ON runs (started_at);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE nodes (
	id             INTEGER PRIMARY KEY,
	run_id         TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	addr           TEXT NOT NULL,
	kind           TEXT NOT NULL,
	attempt        INTEGER NOT NULL DEFAULT 1,
	cache_key      TEXT NOT NULL DEFAULT '',
	key_components TEXT NOT NULL DEFAULT '{}',
	plugin_name    TEXT NOT NULL DEFAULT '',
	plugin_version TEXT NOT NULL DEFAULT '',
	plugin_source  TEXT NOT NULL DEFAULT '',
	plugin_sha256  TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cached', 'skipped', 'interrupted')),
	error          TEXT NOT NULL DEFAULT '',
	started_at     TEXT NOT NULL,
	finished_at    TEXT,
	UNIQUE (run_id, addr, attempt)
);
CREATE INDEX nodes_addr ON nodes (addr, id);
CREATE INDEX nodes_cache_key ON nodes (cache_key);

CREATE TABLE artifacts (
	digest     TEXT PRIMARY KEY,
	kind       TEXT NOT NULL,
	rows       INTEGER NOT NULL DEFAULT 0,
	bytes      INTEGER NOT NULL DEFAULT 0,
	path       TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);

CREATE TABLE lineage (
	id      INTEGER PRIMARY KEY,
	run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	node_id INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
	role    TEXT NOT NULL CHECK (role IN ('input', 'output')),
	name    TEXT NOT NULL,
	digest  TEXT NOT NULL,
	UNIQUE (node_id, role, name, digest)
);
CREATE INDEX lineage_run ON lineage (run_id);
CREATE INDEX lineage_digest ON lineage (digest);

CREATE TABLE params (
	id      INTEGER PRIMARY KEY,
	run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	node_id INTEGER REFERENCES nodes (id) ON DELETE CASCADE,
	name    TEXT NOT NULL,
	value   TEXT NOT NULL
);
CREATE UNIQUE INDEX params_key ON params (run_id, IFNULL(node_id, 0), name);

CREATE TABLE metrics (
	run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	node_id INTEGER REFERENCES nodes (id) ON DELETE CASCADE,
	step    INTEGER NOT NULL,
	name    TEXT NOT NULL,
	value   REAL
);
CREATE INDEX metrics_series ON metrics (run_id, node_id, name, step);

CREATE TABLE events (
	id      INTEGER PRIMARY KEY,
	run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
	node_id INTEGER REFERENCES nodes (id) ON DELETE CASCADE,
	time    TEXT NOT NULL,
	type    TEXT NOT NULL,
	message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_run ON events (run_id, id);
`,
}

// SchemaVersion is the schema version this build of llmflow writes.
var SchemaVersion = len(migrations)

const createVersionTable = `CREATE TABLE IF NOT EXISTS schema_version (
	version    INTEGER PRIMARY KEY,
	applied_at TEXT NOT NULL
)`

// migrate brings the database to SchemaVersion, one transaction per
// migration so that a crash leaves either the old or the new version.
func migrate(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, createVersionTable); err != nil {
		return err
	}
	for {
		done, err := migrateOne(ctx, db)
		if err != nil || done {
			return err
		}
	}
}

func migrateOne(ctx context.Context, db *sql.DB) (bool, error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	v, err := currentVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	if v > SchemaVersion {
		return false, fmt.Errorf("database schema version %d is newer than this llmflow understands (%d); upgrade llmflow", v, SchemaVersion)
	}
	if v == SchemaVersion {
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("migration to schema version %d: %w", v+1, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, v+1, formatTime(time.Now())); err != nil {
		return false, err
	}
	return false, tx.Commit()
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func currentVersion(ctx context.Context, q queryer) (int, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}
