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

func TestSharedDataAbsent(t *testing.T) {
	t.Setenv("LLMFLOW_SHARED_DATA", "")
	t.Chdir(t.TempDir())
	for ci, want := range map[string]string{"": "skip: ", "true": "fatal: "} {
		t.Setenv("CI", ci)
		got := run(func(tb testing.TB) { SharedData(tb) })
		if len(got) < len(want) || got[:len(want)] != want {
			t.Errorf("CI=%q: %q, want prefix %q", ci, got, want)
		}
	}
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
