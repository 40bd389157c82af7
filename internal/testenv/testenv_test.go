package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fakeTB records how a helper ended the test: Skipf and Fatalf stop the
// helper by panicking, as the real ones stop the goroutine.
type fakeTB struct {
	testing.TB
	ended string
}

type stop struct{}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, a ...any) {
	f.ended = "skip: " + fmt.Sprintf(format, a...)
	panic(stop{})
}
func (f *fakeTB) Fatalf(format string, a ...any) {
	f.ended = "fatal: " + fmt.Sprintf(format, a...)
	panic(stop{})
}

func run(fn func(tb testing.TB)) (ended string) {
	f := &fakeTB{}
	defer func() {
		if r := recover(); r != nil && r != (stop{}) {
			panic(r)
		}
		ended = f.ended
	}()
	fn(f)
	return ""
}

// TestSharedDataAbsent runs in a tree that holds shared/data beside the
// checkout, as a machine with the real data does, and fences the search at
// the checkout so the outcome does not depend on the surroundings.
func TestSharedDataAbsent(t *testing.T) {
	root := t.TempDir()
	clone := filepath.Join(root, "clone")
	for _, d := range []string{filepath.Join(root, "shared", "data"), filepath.Join(clone, "pkg")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := filepath.Join(clone, "pkg")
	for ci, want := range map[string]string{"": "skip: ", "true": "fatal: "} {
		t.Run("CI="+ci, func(t *testing.T) {
			t.Setenv("CI", ci)
			got := run(func(tb testing.TB) { sharedDataAbove(tb, start, clone) })
			if len(got) < len(want) || got[:len(want)] != want {
				t.Errorf("%q, want prefix %q", got, want)
			}
		})
	}
	t.Run("found above", func(t *testing.T) {
		if got := sharedDataAbove(t, start, root); got != filepath.Join(root, "shared", "data") {
			t.Errorf("sharedDataAbove = %q", got)
		}
	})
}

func TestSharedFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a", "b.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LLMFLOW_SHARED_DATA", dir)
	t.Setenv("CI", "")
	if got := SharedFile(t, "a/b.txt"); got != filepath.Join(dir, "a", "b.txt") {
		t.Errorf("SharedFile = %q", got)
	}
	if got := run(func(tb testing.TB) { SharedFile(tb, "a/missing.txt") }); got == "" || got[:6] != "skip: " {
		t.Errorf("missing file: %q, want a skip", got)
	}
}

func TestReadJSONLTextAndChunkLines(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "x.jsonl")
	os.WriteFile(jsonl, []byte("{\"text\":\"a\"}\n{\"text\":\"bc\",\"id\":1}\n"), 0o644)
	if got := ReadJSONLText(t, jsonl); !reflect.DeepEqual(got, []string{"a", "bc"}) {
		t.Errorf("ReadJSONLText = %q", got)
	}
	txt := filepath.Join(dir, "x.txt")
	os.WriteFile(txt, []byte(" 一二 \n\nab\ncd\ne\n"), 0o644)
	if got := ChunkLines(t, txt, 5); !reflect.DeepEqual(got, []string{"一二\nab\n", "cd\ne\n"}) {
		t.Errorf("ChunkLines = %q", got)
	}
}
