package artifact

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SecretName is the file in a store's root that holds its secret key.
const SecretName = "secret.key"

// secretSize is the key length in bytes: the block size of SHA-256, the
// most an HMAC-SHA256 key can use without hashing it first.
const secretSize = 64

func (s *Store) secretPath() string { return filepath.Join(s.dir, SecretName) }

// Secret returns the store's secret key, or nil when it has none yet. The
// engine keys digests of configurations that hold sensitive values with it,
// so a recorded digest cannot be checked against guessed values without
// the store.
func (s *Store) Secret() ([]byte, error) {
	b, err := os.ReadFile(s.secretPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("artifact store secret: %w", err)
	}
	if len(b) != secretSize {
		return nil, fmt.Errorf("artifact store secret %s: %d bytes, want %d; delete it to make a new one (cached nodes with sensitive configuration then run again)",
			s.secretPath(), len(b), secretSize)
	}
	return b, nil
}

// EnsureSecret returns the store's secret key, creating the store and a
// random key, readable by the owner only, when there is none. Concurrent
// callers in several processes all get the same key.
func (s *Store) EnsureSecret() ([]byte, error) {
	if b, err := s.Secret(); b != nil || err != nil {
		return b, err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	key := make([]byte, secretSize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(s.dir, SecretName+".tmp-*")
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(key)
	if err2 := f.Close(); err == nil {
		err = err2
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("artifact store secret: %w", err)
	}
	// Link, unlike rename, fails when another process created the key
	// first; then that key wins.
	if err := os.Link(tmp, s.secretPath()); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("artifact store secret: %w", err)
	}
	return s.Secret()
}
