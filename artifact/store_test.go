package artifact

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenStoreCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := "sha256:" + string(make([]byte, 0)) + "0000000000000000000000000000000000000000000000000000000000000000"
	if s.Has(d) {
		t.Fatal("empty store has an artifact")
	}
	if _, ok := s.LookupNode("abc"); ok {
		t.Fatal("empty store has a node")
	}
	if _, err := s.Manifest(d); err == nil {
		t.Fatal("Manifest on empty store succeeded")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("OpenStore and reads created %s (err=%v)", dir, err)
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o644)
	if _, err := OpenStore(f); err == nil {
		t.Fatal("OpenStore on a file succeeded")
	}
}

func TestCommitContentAddressed(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	files := map[string]string{"a.txt": "alpha", "sub/b.bin": "beta"}
	commit := func(kind string, files map[string]string) *Manifest {
		st, err := s.NewStaging(kind)
		if err != nil {
			t.Fatal(err)
		}
		writeFiles(t, st.Dir(), files)
		st.SetRows(2)
		st.SetMeta("k", "v")
		m, err := st.Commit()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := st.Commit()
		if err != nil || m2.Digest != m.Digest {
			t.Fatalf("second Commit: %v, %v", m2, err)
		}
		return m
	}
	m1 := commit(KindTokenizer, files)
	m2 := commit(KindTokenizer, files)
	if m1.Digest != m2.Digest {
		t.Fatalf("equal content gave digests %s and %s", m1.Digest, m2.Digest)
	}
	if m3 := commit(KindCheckpoint, files); m3.Digest == m1.Digest {
		t.Fatal("kind is not part of the digest")
	}
	if m4 := commit(KindTokenizer, map[string]string{"a.txt": "alpha", "sub/b.bin": "betA"}); m4.Digest == m1.Digest {
		t.Fatal("content change kept the digest")
	}
	if !s.Has(m1.Digest) || m1.Bytes != 9 || len(m1.Files) != 2 || m1.Files[0].Name != "a.txt" || m1.Files[1].Name != "sub/b.bin" {
		t.Fatalf("manifest %+v", m1)
	}
	got, err := s.Manifest(m1.Digest)
	if err != nil || got.Rows != 2 || got.Meta["k"] != "v" {
		t.Fatalf("Manifest: %+v %v", got, err)
	}
	if err := got.Verify(s.Path(m1.Digest)); err != nil {
		t.Fatal(err)
	}
	d, _, err := DigestDir(KindTokenizer, filepath.Join(s.Path(m1.Digest), "sub"))
	if err != nil || d == m1.Digest {
		t.Fatalf("DigestDir: %s %v", d, err)
	}
	ents, _ := os.ReadDir(filepath.Join(s.Dir(), "tmp"))
	if len(ents) != 0 {
		t.Fatalf("staging left behind: %v", ents)
	}
}

func TestStagingRejects(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	for name, files := range map[string]map[string]string{
		"manifest": {ManifestName: "{}"},
	} {
		t.Run(name, func(t *testing.T) {
			st, _ := s.NewStaging(KindText)
			writeFiles(t, st.Dir(), files)
			if _, err := st.Commit(); err == nil {
				t.Fatal("Commit succeeded")
			}
			st.Abort()
		})
	}
	st, _ := s.NewStaging(KindText)
	os.Symlink("/etc/passwd", filepath.Join(st.Dir(), "link"))
	if _, err := st.Commit(); err == nil {
		t.Fatal("symlink committed")
	}
	if err := st.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(st.Dir()); !os.IsNotExist(err) {
		t.Fatal("Abort left the staging dir")
	}
}

func TestConcurrentCommitSameDigest(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	var wg sync.WaitGroup
	digests := make([]string, 16)
	errs := make([]error, 16)
	for i := range digests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := s.NewStaging(KindText)
			if err != nil {
				errs[i] = err
				return
			}
			os.WriteFile(filepath.Join(st.Dir(), "x"), []byte("same"), 0o644)
			m, err := st.Commit()
			if err == nil {
				digests[i] = m.Digest
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range digests {
		if errs[i] != nil || digests[i] != digests[0] {
			t.Fatalf("commit %d: %s %v", i, digests[i], errs[i])
		}
	}
}

func TestImportDirAndNodes(t *testing.T) {
	s, _ := OpenStore(t.TempDir())
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"model.safetensors": "w", "config.json": "{}"})
	m, err := s.ImportDir(KindCheckpoint, src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(src, "config.json")); err != nil {
		t.Fatal("ImportDir changed its source")
	}
	// A directory made under the store's tmp is linked in, not copied.
	inTmp, err := os.MkdirTemp(filepath.Join(s.Dir(), "tmp"), "plugin-out-")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, inTmp, map[string]string{"model.safetensors": "w2", "config.json": "{}"})
	m2, err := s.ImportDir(KindCheckpoint, inTmp)
	if err != nil || m2.Digest == m.Digest {
		t.Fatalf("moved import: %v %v", m2, err)
	}
	a, _ := os.Stat(filepath.Join(inTmp, "config.json"))
	b, _ := os.Stat(filepath.Join(s.Path(m2.Digest), "config.json"))
	if !os.SameFile(a, b) {
		t.Fatal("import from the store's tmp copied instead of linking")
	}
	if err := s.RecordNode("sha256:abc", map[string]string{"model": m.Digest}); err != nil {
		t.Fatal(err)
	}
	out, ok := s.LookupNode("sha256:abc")
	if !ok || out["model"] != m.Digest {
		t.Fatalf("LookupNode: %v %v", out, ok)
	}
	if _, ok := s.LookupNode("sha256-abc"); ok {
		t.Fatal("keys differing in ':' share an entry")
	}
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "a@b"} {
		if err := s.RecordNode(bad, nil); err == nil {
			t.Errorf("RecordNode(%q) succeeded", bad)
		}
	}
	if err := s.RecordNode("k", map[string]string{"x": "sha256:" + m.Digest[7:len(m.Digest)-1] + "0"}); err == nil {
		t.Error("RecordNode accepted a digest not in the store")
	}
	// An output removed from the store invalidates the cache entry.
	os.RemoveAll(s.Path(m.Digest))
	if _, ok := s.LookupNode("sha256:abc"); ok {
		t.Fatal("LookupNode hit with a missing output")
	}
}
