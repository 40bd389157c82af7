package runstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// BusyTimeout is how long a statement waits for another connection's lock.
const BusyTimeout = 10 * time.Second

// ErrNotFound is returned (wrapped) when a run or node does not exist.
var ErrNotFound = errors.New("not found")

// Store is an open run database.
type Store struct {
	db       *sql.DB
	path     string
	readOnly bool
}

// Open opens the run database at path, creating its parent directory and
// the file when missing, and applies pending migrations.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	db, err := sql.Open("sqlite3", dsn(path, false, false))
	if err != nil {
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	// One connection serialises this process's writes, so they never
	// contend with each other for SQLite's write lock.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path}
	ctx := context.Background()
	if err := s.check(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	return s, nil
}

// OpenReadOnly opens an existing run database for queries. It never creates
// or modifies anything; a missing file is an error wrapping fs.ErrNotExist.
func OpenReadOnly(path string) (*Store, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("run store %s: not a regular file", path)
	}
	// Without a -wal file no writer is active and everything is in the main
	// file: read it as immutable, which (unlike mode=ro on a WAL database)
	// creates no -shm/-wal files beside it.
	_, walErr := os.Stat(path + "-wal")
	db, err := sql.Open("sqlite3", dsn(path, true, errors.Is(walErr, fs.ErrNotExist)))
	if err != nil {
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	db.SetMaxOpenConns(2)
	s := &Store{db: db, path: path, readOnly: true}
	ctx := context.Background()
	if err := s.check(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	v, err := currentVersion(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("run store %s: %w", path, err)
	}
	if v != SchemaVersion {
		db.Close()
		return nil, fmt.Errorf("run store %s: schema version %d, this llmflow reads %d (a run upgrades it)", path, v, SchemaVersion)
	}
	return s, nil
}

func dsn(path string, readOnly, immutable bool) string {
	q := url.Values{}
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_foreign_keys", "on")
	if readOnly {
		q.Set("mode", "ro")
		if immutable {
			q.Set("immutable", "1")
		}
	} else {
		q.Set("_journal_mode", "WAL")
		q.Set("_synchronous", "NORMAL")
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Opaque: (&url.URL{Path: path}).EscapedPath(), RawQuery: q.Encode()}
	return u.String()
}

// check makes the first connection, so that a file that is not a database
// fails at Open with a clear error.
func (s *Store) check(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return fmt.Errorf("not a usable SQLite database: %w", err)
	}
	return nil
}

// Path returns the database file name.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// IntegrityCheck runs PRAGMA integrity_check and returns its report ("ok"
// when the database is intact).
func (s *Store) IntegrityCheck(ctx context.Context) (string, error) {
	rows, err := s.db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var out string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		if out != "" {
			out += "\n"
		}
		out += line
	}
	return out, rows.Err()
}

// exec runs one write statement in its own transaction.
func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s.readOnly {
		return nil, errors.New("run store is open read-only")
	}
	return s.db.ExecContext(ctx, query, args...)
}

// tx runs fn in one write transaction.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.readOnly {
		return errors.New("run store is open read-only")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// timeLayout is fixed-width so that stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return formatTime(t)
}

func parseTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	t, _ := time.Parse(timeLayout, s.String)
	return t
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
