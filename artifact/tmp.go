package artifact

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Names under <store>/tmp. Every entry there has an owner lock beside it
// (its name plus lockSuffix), held for as long as a live process uses it.
const (
	lockSuffix    = ".lock"
	stagingPrefix = "staging-" // artifacts being written, renamed into objects on commit
	workPrefix    = "stage-"   // a node's resumable work directory: "stage-" + cache key
)

// WorkDir returns the resumable work directory of a node cache key under
// <store>/tmp. It is only safe to use while holding LockNode for the key.
func (s *Store) WorkDir(key string) string {
	return filepath.Join(s.tmpDir(), workPrefix+key)
}

// LockNode takes the lock of a node cache key, which covers running the
// node, its work directory and recording its outputs, so two processes
// never execute the same node into the same work directory. It waits while
// another process holds the lock, calling onWait once with the holder's
// owner text; owner names the caller the same way for others.
func (s *Store) LockNode(ctx context.Context, key, owner string, onWait func(holder string)) (*Lock, error) {
	if _, err := s.nodeFile(key); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
		return nil, err
	}
	return LockWait(ctx, s.WorkDir(key)+lockSuffix, owner, onWait)
}

// Removed describes one entry that cleaning or garbage collection removed
// (or, in a dry run, would remove).
type Removed struct {
	Path  string
	What  string // "staging", "work directory", "lock", "object", "node record", ...
	Bytes int64
}

// CleanOptions select what CleanTmp removes.
type CleanOptions struct {
	// KeepResumable keeps the work directories of nodes that have not yet
	// succeeded, so a killed training stage resumes from its last save.
	KeepResumable bool
	DryRun        bool // report without removing
}

// CleanTmp removes from <store>/tmp what no live process owns: staging
// and work directories whose lock nobody holds (their process was
// killed), stray lock files, and half-written node records. Ownership is
// decided by the flock on each entry's lock file, never by age or PID, so
// it is safe while other runs use the store.
func (s *Store) CleanTmp(opt CleanOptions) ([]Removed, error) {
	if !exactLocks {
		return nil, nil
	}
	var out []Removed
	ents, err := os.ReadDir(s.tmpDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	names := map[string]bool{}
	for _, e := range ents {
		names[e.Name()] = true
	}
	for _, e := range ents {
		name := e.Name()
		base, isLock := strings.CutSuffix(name, lockSuffix)
		if isLock && names[base] {
			continue // handled with its entry
		}
		path := filepath.Join(s.tmpDir(), base)
		what := "staging"
		switch {
		case isLock:
			what = "lock"
		case strings.HasPrefix(base, workPrefix):
			what = "work directory"
			if _, done := s.LookupNode(strings.TrimPrefix(base, workPrefix)); !done && opt.KeepResumable {
				continue
			}
		}
		r, err := s.removeUnowned(path, path+lockSuffix, what, opt.DryRun)
		if err != nil {
			return out, err
		}
		out = append(out, r...)
	}
	r, err := s.cleanNodeTemps(opt.DryRun)
	return append(out, r...), err
}

// cleanNodeTemps removes temporary files of node records (see RecordNode)
// whose key's lock nobody holds: their writer died before the rename.
func (s *Store) cleanNodeTemps(dryRun bool) ([]Removed, error) {
	ents, err := os.ReadDir(s.nodesDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var out []Removed
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), ".tmp-")
		file, _, ok2 := strings.Cut(rest, ".json-")
		if !ok || !ok2 {
			continue
		}
		key := strings.ReplaceAll(file, "@", ":")
		r, err := s.removeUnowned(filepath.Join(s.nodesDir(), e.Name()), s.WorkDir(key)+lockSuffix, "node record", dryRun)
		if err != nil {
			return out, err
		}
		out = append(out, r...)
	}
	return out, nil
}

// removeUnowned removes path (when it exists) and its lock file if no live
// process holds the lock. A dry run only probes the lock.
func (s *Store) removeUnowned(path, lockPath, what string, dryRun bool) ([]Removed, error) {
	if dryRun {
		if !lockFree(lockPath) {
			return nil, nil
		}
		return removal(path, what), nil
	}
	l, err := TryLock(lockPath, processOwner())
	if le := (*LockedError)(nil); errors.As(err, &le) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	out := removal(path, what)
	if err := os.RemoveAll(path); err != nil {
		return nil, err
	}
	return out, nil
}

// removal describes path for a report; nothing when it does not exist.
func removal(path, what string) []Removed {
	if what == "lock" {
		return []Removed{{Path: path + lockSuffix, What: what}}
	}
	if _, err := os.Lstat(path); err != nil {
		return nil
	}
	return []Removed{{Path: path, What: what, Bytes: DiskBytes(path)}}
}

// lockFree reports, without creating or removing anything, whether no
// process holds the lock at path.
func lockFree(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return errors.Is(err, fs.ErrNotExist)
	}
	defer f.Close() // closing drops the probe's own lock
	busy, err := flockExclusive(f)
	return err == nil && !busy
}

// DiskBytes sums the sizes of the regular files under path, for reports
// of what a collection frees.
func DiskBytes(path string) int64 {
	var n int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
