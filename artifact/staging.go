package artifact

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	known  map[string]File
	done   *Manifest
	closed bool
	lock   *Lock // held until Commit or Abort
}

// NewStaging creates a fresh staging directory for an artifact of kind.
// The directory's lock file (its name plus ".lock") is held until Commit or
// Abort, so cleaning by other processes leaves it alone while this process
// lives, and removes it once this process is killed.
func (s *Store) NewStaging(kind string) (*Staging, error) {
	if kind == "" {
		return nil, errors.New("artifact staging: empty kind")
	}
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return nil, fmt.Errorf("artifact store %s: %w", s.dir, err)
	}
	for {
		dir, lock, err := s.newLockedDir()
		if err != nil {
			return nil, fmt.Errorf("artifact store %s: %w", s.dir, err)
		}
		if lock != nil {
			return &Staging{store: s, kind: kind, dir: dir, lock: lock}, nil
		}
	}
}

// newLockedDir makes a uniquely named staging directory under tmp, taking
// its lock first so that no moment exists in which it is unowned. A nil
// lock without error means another process raced for the name: try again.
func (s *Store) newLockedDir() (string, *Lock, error) {
	f, err := os.CreateTemp(s.tmpDir(), stagingPrefix+"*"+lockSuffix)
	if err != nil {
		return "", nil, err
	}
	name := f.Name()
	f.Close()
	lock, err := TryLock(name, processOwner())
	if le := (*LockedError)(nil); errors.As(err, &le) {
		return "", nil, nil // a cleaner holds it for a moment and removes it
	}
	if err != nil {
		return "", nil, err
	}
	dir := strings.TrimSuffix(name, lockSuffix)
	if err := os.Mkdir(dir, 0o755); err != nil {
		lock.Unlock()
		if errors.Is(err, fs.ErrExist) {
			return "", nil, nil
		}
		return "", nil, err
	}
	return dir, lock, nil
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

// SetFiles records the sizes and sha256 of staged files, named relative
// to Dir, that the caller hashed as it wrote them, so that Commit need
// only sync them; a file whose size has changed by then is hashed again.
func (st *Staging) SetFiles(files []File) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.known == nil {
		st.known = map[string]File{}
	}
	for _, f := range files {
		st.known[f.Name] = f
	}
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
	digest, files, err := digestDir(st.kind, st.dir, false, true, st.known)
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
	st.lock.Unlock()
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
	st.lock.Unlock()
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
	return st.lock.Unlock()
}
