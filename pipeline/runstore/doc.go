// Package runstore records run metadata in one SQLite file: runs, the
// nodes they executed (with attempts, cache keys and their components),
// artifacts, lineage edges, params, metric series and events.
//
// The database runs in WAL mode with a busy timeout and foreign keys on;
// its schema is created and upgraded by ordered migrations tracked in the
// schema_version table. Every write is its own short transaction, so a
// process killed at any point leaves a consistent database holding every
// write that returned. synchronous=NORMAL is used: in WAL mode it keeps
// every committed transaction across a crash of the process (a power loss
// may drop the last few).
//
// A Store is safe for concurrent use by goroutines; writes are serialised on
// one connection. Several processes may share a file (the busy timeout
// makes them wait for each other), but the host is meant to be its only
// writer.
package runstore
