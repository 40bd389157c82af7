package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestSensitiveNeverStored sets a sensitive variable from the environment,
// uses it in a node's configuration, and checks that the value appears in
// no output and in no file llmflow wrote: database, WAL, store.
func TestSensitiveNeverStored(t *testing.T) {
	const secret = "s3cr3t-token-4711"
	dir := fixture(t)
	src := `
variable "token" {
  type      = string
  sensitive = true
}

dataset "docs" {
  path     = "data/docs.jsonl"
  id_field = var.token
}
`
	os.WriteFile(filepath.Join(dir, "secret.hcl"), []byte(src), 0o644)
	for _, args := range [][]string{{"plan", "secret.hcl"}, {"run", "--json", "secret.hcl"}, {"runs", "show", "--json", "latest"}} {
		cmd := exec.Command(binary, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "LLMFLOW_VAR_token="+secret)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		if bytes.Contains(out, []byte(secret)) {
			t.Fatalf("%v printed the sensitive value:\n%s", args, out)
		}
	}
	filepath.Walk(filepath.Join(dir, ".llmflow"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(path)
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the sensitive value", path)
		}
		return nil
	})
}
