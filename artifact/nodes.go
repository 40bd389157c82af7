package artifact

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// nodeRecord is the on-disk form of one node cache entry.
type nodeRecord struct {
	Key     string            `json:"key"`
	Outputs map[string]string `json:"outputs"`
}

// nodeFile maps a cache key to its index file; keys outside a safe
// alphabet are rejected so that a key can never name a path.
func (s *Store) nodeFile(key string) (string, error) {
	if key == "" || len(key) > 200 {
		return "", fmt.Errorf("invalid node cache key %q", key)
	}
	for _, c := range key {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:", c)
		if !ok {
			return "", fmt.Errorf("invalid node cache key %q: use letters, digits and -_.:", key)
		}
	}
	if key[0] == '.' {
		return "", fmt.Errorf("invalid node cache key %q", key)
	}
	// ':' is not portable in file names; '@' is outside the key alphabet,
	// so the mapping stays one-to-one.
	return filepath.Join(s.nodesDir(), strings.ReplaceAll(key, ":", "@")+".json"), nil
}

// LookupNode returns the outputs (name -> digest) recorded for a node cache
// key. It reports false when the key is unknown, its entry is unreadable or
// any recorded output is no longer in the store.
func (s *Store) LookupNode(key string) (map[string]string, bool) {
	path, err := s.nodeFile(key)
	if err != nil {
		return nil, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var rec nodeRecord
	if err := json.Unmarshal(data, &rec); err != nil || rec.Key != key {
		return nil, false
	}
	for _, d := range rec.Outputs {
		if !s.Has(d) {
			return nil, false
		}
	}
	if rec.Outputs == nil {
		rec.Outputs = map[string]string{}
	}
	return rec.Outputs, true
}

// RecordNode atomically records the outputs of a node cache key, replacing
// any earlier entry. Every digest must be committed in the store.
func (s *Store) RecordNode(key string, outputs map[string]string) error {
	path, err := s.nodeFile(key)
	if err != nil {
		return err
	}
	for name, d := range outputs {
		if !s.Has(d) {
			return fmt.Errorf("record node %s: output %q: artifact %s is not in the store", key, name, d)
		}
	}
	if outputs == nil {
		outputs = map[string]string{}
	}
	data, err := json.MarshalIndent(nodeRecord{Key: key, Outputs: outputs}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.nodesDir(), 0o755); err != nil {
		return err
	}
	return WriteFileAtomic(path, append(data, '\n'))
}
