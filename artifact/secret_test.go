package artifact

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestStoreSecret(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	if k, err := s.Secret(); k != nil || err != nil {
		t.Fatalf("a new store has a secret: %x, %v", k, err)
	}
	if _, err := os.Stat(s.Dir()); err == nil {
		t.Fatal("reading the secret created the store")
	}
	keys := make([][]byte, 4)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], _ = s.EnsureSecret()
		}()
	}
	wg.Wait()
	for i, k := range keys {
		if len(k) != secretSize || !bytes.Equal(k, keys[0]) {
			t.Fatalf("caller %d got key %x, want %x", i, k, keys[0])
		}
	}
	fi, err := os.Stat(filepath.Join(s.Dir(), SecretName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("secret has mode %v, want 0600", fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(s.Dir())
	if len(entries) != 1 {
		t.Errorf("store holds %d entries after creating its secret, want 1", len(entries))
	}
	os.WriteFile(filepath.Join(s.Dir(), SecretName), []byte("short"), 0o600)
	if _, err := s.Secret(); err == nil {
		t.Error("a truncated secret was accepted")
	}
}
