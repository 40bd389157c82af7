package artifact

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Staging is an artifact under construction: a private directory under
// <store>/tmp that the caller fills with files before Commit. A Staging is
// used by one goroutine; Commit and Abort may be called more than once.
type Staging struct {
	store *Store
	kind  string
	dir   string

	mu     sync.Mutex
	rows   int64
	schema string
	meta   map[string]string
	done   *Manifest
	closed bool
}

// NewStaging creates a fresh staging directory for an artifact of kind.
func (s *Store) NewStaging(kind string) (*Staging, error) {
	if kind == "" {
		return nil, errors.New("artifact staging: empty kind")
	}
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return nil, fmt.Errorf("artifact store %s: %w", s.dir, err)
	}
	dir, err := os.MkdirTemp(s.tmpDir(), "stage-")
	if err != nil {
		return nil, fmt.Errorf("artifact store %s: %w", s.dir, err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.Remove(dir)
		return nil, err
	}
	return &Staging{store: s, kind: kind, dir: dir}, nil
}

// Dir returns the staging directory to write the artifact's files into.
func (st *Staging) Dir() string { return st.dir }

// Kind returns the kind the artifact will be committed as.
func (st *Staging) Kind() string { return st.kind }

// SetRows records the artifact's row count for the manifest.
func (st *Staging) SetRows(n int64) { st.mu.Lock(); st.rows = n; st.mu.Unlock() }

// SetSchema records a human-readable schema description for the manifest.
func (st *Staging) SetSchema(s string) { st.mu.Lock(); st.schema = s; st.mu.Unlock() }

// SetMeta records a descriptive key/value pair for the manifest.
func (st *Staging) SetMeta(k, v string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.meta == nil {
		st.meta = map[string]string{}
	}
	st.meta[k] = v
}

// Commit hashes the staged files, writes manifest.json and renames the
// directory to its content address. When neither SetRows nor SetSchema was
// called and the staging holds a dataset, its rows and schema are taken
// from the dataset index. If the digest is already committed
// (by this or another process) the staged copy is discarded and the
// existing manifest (with that commit's Meta, Rows and Schema) returned.
// Calling Commit again returns the same result.
func (st *Staging) Commit() (*Manifest, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done != nil {
		return st.done, nil
	}
	if st.closed {
		return nil, errors.New("artifact staging: commit after abort")
	}
	digest, files, err := digestDir(st.kind, st.dir, false, true)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", st.kind, err)
	}
	m := &Manifest{Kind: st.kind, Digest: digest, Files: files, Schema: st.schema, Rows: st.rows, Meta: st.meta}
	if m.Schema == "" && m.Rows == 0 {
		// A dataset describes itself: take rows and schema from its index.
		if idx, err := readDatasetIndex(st.dir); err == nil && idx != nil {
			m.Schema, m.Rows = idx.Schema, idx.Rows
		}
	}
	if m.Files == nil {
		m.Files = []File{}
	}
	for _, f := range files {
		m.Bytes += f.Size
	}
	s := st.store
	final := s.Path(digest)
	if s.Has(digest) {
		return st.adopt(digest)
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := WriteFileAtomic(filepath.Join(st.dir, ManifestName), append(data, '\n')); err != nil {
		return nil, fmt.Errorf("commit %s: %w", st.kind, err)
	}
	if err := os.MkdirAll(s.objectsDir(), 0o755); err != nil {
		return nil, err
	}
	if err := os.Rename(st.dir, final); err != nil {
		// Another writer committed the same content first: ours is redundant.
		if s.Has(digest) {
			return st.adopt(digest)
		}
		return nil, fmt.Errorf("commit %s: %w", digest, err)
	}
	if err := syncPath(s.objectsDir()); err != nil {
		return nil, err
	}
	st.done, st.closed = m, true
	return m, nil
}

// adopt discards the staged copy in favour of the committed artifact.
func (st *Staging) adopt(digest string) (*Manifest, error) {
	m, err := st.store.Manifest(digest)
	if err != nil {
		return nil, err
	}
	os.RemoveAll(st.dir)
	st.done, st.closed = m, true
	return m, nil
}

// Abort removes the staging directory. It is a no-op after Commit.
func (st *Staging) Abort() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done != nil {
		return nil
	}
	st.closed = true
	if err := os.RemoveAll(st.dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// CleanTmp removes staging directories under <store>/tmp last modified
// more than olderThan ago: leftovers of processes killed mid-write. Live
// stagings of other processes are younger than any sensible olderThan
// (a day, say). It returns how many it removed.
func (s *Store) CleanTmp(olderThan time.Duration) (int, error) {
	ents, err := os.ReadDir(s.tmpDir())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n := 0
	cutoff := time.Now().Add(-olderThan)
	for _, e := range ents {
		fi, err := e.Info()
		if err != nil || fi.ModTime().After(cutoff) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.tmpDir(), e.Name())); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
