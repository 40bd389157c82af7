package pluginhost

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/llmflow/llmflow/artifact"
)

// ParseChecksum parses "sha256:<64 hex>" and returns the raw digest.
func ParseChecksum(s string) ([]byte, error) {
	hexPart, ok := strings.CutPrefix(s, "sha256:")
	if !ok {
		return nil, fmt.Errorf("checksum %q must start with \"sha256:\"", s)
	}
	b, err := hex.DecodeString(hexPart)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("checksum %q must be \"sha256:\" followed by 64 hex digits", s)
	}
	return b, nil
}

// FileChecksum returns "sha256:<hex>" of the file at path.
func FileChecksum(path string) (string, error) {
	return artifact.FileDigest(path)
}

// sumCache remembers binary checksums by path, size and mtime: hashing a
// 50 MB llmflow binary for every node would cost more than the node's
// whole plugin start.
type sumCache struct {
	mu sync.Mutex
	m  map[string]cachedSum
}

type cachedSum struct {
	size  int64
	mtime time.Time
	sum   string
}

func (c *sumCache) get(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	e, ok := c.m[path]
	c.mu.Unlock()
	if ok && e.size == fi.Size() && e.mtime.Equal(fi.ModTime()) {
		return e.sum, nil
	}
	sum, err := FileChecksum(path)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cachedSum{}
	}
	c.m[path] = cachedSum{size: fi.Size(), mtime: fi.ModTime(), sum: sum}
	c.mu.Unlock()
	return sum, nil
}
