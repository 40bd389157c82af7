package artifact

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveDigest(t *testing.T) {
	s, err := OpenStore(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ResolveDigest("sha256:abcdef"); !errors.Is(err, ErrNoArtifact) {
		t.Fatalf("empty store: %v", err)
	}
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "one"})
	m, err := s.ImportDir("model/gpt2", src)
	if err != nil {
		t.Fatal(err)
	}
	hex := strings.TrimPrefix(m.Digest, "sha256:")
	// A second committed artifact sharing the first 8 digits, and an
	// uncommitted directory sharing 7 (a writer that crashed before its
	// manifest), which must not count.
	twin := hex[:8] + strings.Repeat("0", 56)
	if twin == hex {
		twin = hex[:8] + strings.Repeat("1", 56)
	}
	if err := os.CopyFS(filepath.Join(s.objectsDir(), twin), os.DirFS(s.Path(m.Digest))); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(s.objectsDir(), hex[:7]+strings.Repeat("2", 57)), 0o755)
	for _, tc := range []struct{ ref, want, err string }{
		{m.Digest, m.Digest, ""},
		{hex, m.Digest, ""},
		{"sha256:" + hex[:9], m.Digest, ""},
		{hex[:7], "", "ambiguous"},
		{hex[:5], "", "at least 6"},
		{"stage.chat", "", "not a digest"},
		{"ABCDEF12", "", "lowercase"},
		{"ffffff" + strings.Repeat("e", 10), "", "not in store"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			got, err := s.ResolveDigest(tc.ref)
			if got != tc.want || (tc.err == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ResolveDigest(%q) = %q, %v; want %q, error %q", tc.ref, got, err, tc.want, tc.err)
			}
		})
	}
}
