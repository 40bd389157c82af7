//go:build linux

package artifact

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSourceDigestRemembers checks that an unchanged source is hashed
// once, and that every kind of change is hashed again: new content of the
// same size with its old modification time restored, a replaced file, a
// file changed within the racy window.
func TestSourceDigestRemembers(t *testing.T) {
	s, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hashes := 0
	hashSource = func(p string) (string, error) { hashes++; return FileDigest(p) }
	defer func() { hashSource = FileDigest }()
	defer func(w time.Duration) { racyWindow = w }(racyWindow)
	racyWindow = 0

	path := filepath.Join(t.TempDir(), "web.jsonl")
	write := func(text string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	check := func(what string, wantHashes int) {
		t.Helper()
		got, err := s.SourceDigest(path)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := FileDigest(path)
		if got != want {
			t.Fatalf("%s: digest %s, the file's %s", what, got, want)
		}
		if hashes != wantHashes {
			t.Fatalf("%s: hashed %d times, want %d", what, hashes, wantHashes)
		}
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	write(`{"text":"one"}`, old)
	check("first plan", 1)
	check("unchanged", 1)
	time.Sleep(10 * time.Millisecond) // a change time the clock can tell apart
	write(`{"text":"two"}`, old)      // same size, same modification time
	check("rewritten with its old time", 2)
	check("unchanged again", 2)
	tmp := path + ".new"
	os.WriteFile(tmp, []byte(`{"text":"333"}`), 0o644)
	os.Chtimes(tmp, old, old)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	check("replaced", 3)

	racyWindow = time.Hour // everything is recent
	write(`{"text":"444"}`, time.Now())
	check("changed just now", 4)
	check("still recent: not remembered", 5)
}
