package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// Planning keys a dataset node by the digests of its source files, so
// every plan of a pipeline over a large corpus would read all of it again
// (a minute for 100 GB). The store remembers each file's digest with the
// file's identity on disk, and hashes again only a file whose device,
// inode, size, modification or change time differ, as git's index does.
// The change time cannot be set back by a user, so a file rewritten and
// given its old modification time is still hashed again.

// sourceStat is what identifies a file's content on disk.
type sourceStat struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime_ns"`
	CTime int64  `json:"ctime_ns"`
}

// sourceEntry is a remembered digest, in <store>/sources/<hash of path>.json.
type sourceEntry struct {
	Stat   sourceStat `json:"stat"`
	Digest string     `json:"digest"`
}

// racyWindow: a file changed this recently may change again within the
// same timestamp tick without its times showing it, so its digest is not
// remembered (tests shorten it).
var racyWindow = 2 * time.Second

func (s *Store) sourceEntryPath(abs string) string {
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(s.dir, "sources", hex.EncodeToString(sum[:16])+".json")
}

// SourceDigest returns "sha256:<hex>" of the file at path, from the
// store's memory of it while the file is unchanged on disk.
func (s *Store) SourceDigest(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	before, ok := statSource(abs)
	entryPath := s.sourceEntryPath(abs)
	if ok {
		var e sourceEntry
		if data, err := os.ReadFile(entryPath); err == nil && json.Unmarshal(data, &e) == nil && e.Stat == before && e.Digest != "" {
			return e.Digest, nil
		}
	}
	d, err := hashSource(abs)
	if err != nil {
		return "", err
	}
	after, ok2 := statSource(abs)
	recent := time.Now().Add(-racyWindow).UnixNano()
	if ok && ok2 && after == before && before.MTime < recent && before.CTime < recent {
		if data, err := json.Marshal(sourceEntry{Stat: before, Digest: d}); err == nil {
			// Best effort: a store that cannot remember only hashes again.
			if os.MkdirAll(filepath.Dir(entryPath), 0o755) == nil {
				WriteFileAtomic(entryPath, data)
			}
		}
	}
	return d, nil
}

// hashSource is FileDigest; tests count its calls.
var hashSource = FileDigest
