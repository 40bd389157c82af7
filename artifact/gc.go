package artifact

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// GCOptions select what GC removes.
type GCOptions struct {
	// Keep reports whether a committed artifact is still referenced; the
	// others are removed.
	Keep   func(digest string) bool
	DryRun bool // report without removing
}

// GC removes committed artifacts that Keep rejects, node cache records
// that name an artifact no longer in the store, and everything in tmp that
// no live process owns, killed stages' work directories included. The
// caller must hold the store lock exclusively (TryExclusive), so that no
// run commits meanwhile.
func (s *Store) GC(opt GCOptions) ([]Removed, error) {
	gone := map[string]bool{}
	out, err := s.collectObjects(opt, gone)
	if err != nil {
		return out, err
	}
	r, err := s.pruneNodes(gone, opt.DryRun)
	out = append(out, r...)
	if err != nil {
		return out, err
	}
	r, err = s.CleanTmp(CleanOptions{DryRun: opt.DryRun})
	return append(out, r...), err
}

// collectObjects removes unreferenced artifacts, adding their digests to
// gone. Each is first renamed into tmp, so a collection killed midway
// leaves either a whole artifact or unowned staging for the next clean.
func (s *Store) collectObjects(opt GCOptions, gone map[string]bool) ([]Removed, error) {
	ents, err := os.ReadDir(s.objectsDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var out []Removed
	for _, e := range ents {
		digest := digestPrefix + e.Name()
		if _, err := ParseDigest(digest); err != nil || opt.Keep(digest) {
			continue
		}
		path := filepath.Join(s.objectsDir(), e.Name())
		out = append(out, Removed{Path: path, What: "artifact", Bytes: DiskBytes(path)})
		gone[digest] = true
		if opt.DryRun {
			continue
		}
		if err := os.MkdirAll(s.tmpDir(), 0o755); err != nil {
			return out, err
		}
		trash := filepath.Join(s.tmpDir(), "gc-"+e.Name())
		if err := os.Rename(path, trash); err != nil {
			return out, err
		}
		if err := os.RemoveAll(trash); err != nil {
			return out, err
		}
	}
	return out, nil
}

// pruneNodes removes node records naming an artifact that is gone, so that
// they stop shadowing nothing.
func (s *Store) pruneNodes(gone map[string]bool, dryRun bool) ([]Removed, error) {
	ents, err := os.ReadDir(s.nodesDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var out []Removed
	for _, e := range ents {
		path := filepath.Join(s.nodesDir(), e.Name())
		data, err := os.ReadFile(path)
		if err != nil || filepath.Ext(e.Name()) != ".json" || e.Name()[0] == '.' {
			continue
		}
		var rec nodeRecord
		stale := json.Unmarshal(data, &rec) != nil
		for _, d := range rec.Outputs {
			stale = stale || gone[d] || !s.Has(d)
		}
		if !stale {
			continue
		}
		out = append(out, Removed{Path: path, What: "node record", Bytes: int64(len(data))})
		if !dryRun {
			if err := os.Remove(path); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}
