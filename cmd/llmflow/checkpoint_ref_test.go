package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckpointRef names one imported checkpoint every way --checkpoint
// takes, and checks the ways that name nothing.
func TestCheckpointRef(t *testing.T) {
	dir := t.TempDir()
	writeTinyCheckpoint(t, filepath.Join(dir, "ckpt"))
	src := "checkpoint \"tiny\" { path = \"ckpt\" }\noutput \"model\" { value = checkpoint.tiny.model }\n"
	if err := os.WriteFile(filepath.Join(dir, "p.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	digest := runJSON(t, dir)["checkpoint.tiny"].model
	if !strings.HasPrefix(digest, "sha256:") {
		t.Fatalf("checkpoint.tiny made no model: %q", digest)
	}
	gen := func(ref string) result {
		return llmflow(t, dir, "generate", "--checkpoint", ref, "--prompt", "the", "--temperature", "0", "--max-tokens", "5")
	}
	want := gen("ckpt")
	if want.code != 0 {
		t.Fatalf("generate from the directory: %d %s", want.code, want.stderr)
	}
	for _, tc := range []struct {
		name, ref string
		code      int
		err       string
	}{
		{"digest", digest, 0, ""},
		{"prefix", digest[:len("sha256:")+10], 0, ""},
		{"bare prefix", digest[len("sha256:") : len("sha256:")+10], 0, ""},
		{"node", "checkpoint.tiny", 0, ""},
		{"unknown node", "stage.nope", exitNotFound, `no run in which stage.nope succeeded has an output "model"`},
		{"unknown digest", "sha256:ffffffffff", exitNotFound, "is not in store"},
		{"neither", "no/such/dir", exitError, "is not a digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := gen(tc.ref)
			if got.code != tc.code || !strings.Contains(got.stderr, tc.err) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", got.code, got.stderr, tc.code, tc.err)
			}
			if tc.code == 0 && got.stdout != want.stdout {
				t.Errorf("output %q, want %q as from the directory", got.stdout, want.stdout)
			}
		})
	}
}
