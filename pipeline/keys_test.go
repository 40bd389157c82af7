package pipeline

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSourcePartsByContent checks that source files are keyed by what
// reaches the dataset (bytes, order, the name ingest puts in ids), never by
// the path used to reach them.
func TestSourcePartsByContent(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	a := write("x/a.jsonl", `{"text":"one"}`)
	b := write("x/b.jsonl", `{"text":"two"}`)
	aCopy := write("w/a.jsonl", `{"text":"one"}`)
	aRenamed := write("y/c.jsonl", `{"text":"one"}`)
	key := func(paths ...string) string {
		in, err := sourceParts(nil, paths)
		if err != nil {
			t.Fatal(err)
		}
		return KeyParts{Kind: "dataset", Inputs: in}.Key()
	}
	base := key(a, b)
	for _, tc := range []struct {
		name  string
		paths []string
		same  bool
	}{
		{"same files", []string{b, a}, true},
		{"spelled through ..", []string{filepath.Join(dir, "x", "..", "x", "a.jsonl"), b}, true},
		{"same content elsewhere", []string{aCopy, b}, true},
		{"renamed file", []string{aRenamed, b}, false}, // its name is in generated ids
		{"one file fewer", []string{a}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := key(tc.paths...) == base; got != tc.same {
				t.Errorf("key equal = %v, want %v", got, tc.same)
			}
		})
	}
}
