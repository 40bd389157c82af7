package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validateBase is a small valid pipeline; the cases append a stage to it.
const validateBase = `dataset "web" {
  path = "web.jsonl"
}
tokenizer "bpe" {
  input      = dataset.web
  vocab_size = 300
}
tokenize "web" {
  input     = dataset.web
  tokenizer = tokenizer.bpe
}
`

// TestValidateChecksStages: validate checks stages of built-in kinds against
// the schema the stage describes, and external plugins against their pins,
// the way plan does, yet starts no process and writes nothing.
func TestValidateChecksStages(t *testing.T) {
	tests := []struct {
		name, stage string
		want        []string // in stderr; none: the pipeline is valid
	}{
		{"builtin ok", `stage "pretrain" "tiny" {
  data = tokenize.web.train
  config {
    n_layer   = 2
    max_steps = 1
  }
}`, nil},
		{"unknown kind", `stage "pretrian" "tiny" {
  data = tokenize.web.train
}`, []string{"Cannot load plugin pretrian", `no built-in stage "pretrian"`, "built-in stages: dpo, eval"}},
		{"misspelled attribute", `stage "pretrain" "tiny" {
  data = tokenize.web.train
  config {
    n_layers = 2
  }
}`, []string{`pipeline.hcl:15:5: error: Unsupported argument`, `"n_layers"`}},
		{"wrong type", `stage "pretrain" "tiny" {
  data = tokenize.web.train
  config {
    n_layer = "two"
  }
}`, []string{`pipeline.hcl:15:15: error: Incorrect attribute value type`}},
		{"unknown input", `stage "pretrain" "tiny" {
  data  = tokenize.web.train
  valid = tokenize.web.val
}`, []string{"Unsupported input", `Did you mean "val"?`}},
		{"wrong input kind", `stage "pretrain" "tiny" {
  data = dataset.web
}`, []string{"Incompatible input"}},
		{"plugin rejects config", `stage "pretrain" "tiny" {
  data = tokenize.web.train
  config {
    n_head = 3
  }
}`, []string{"pipeline.hcl:12:1: error: Width not divisible by heads"}},
		{"external checksum mismatch", `plugin "shuffle" {
  source   = "./tool"
  checksum = "sha256:0000000000000000000000000000000000000000000000000000000000000000"
}
stage "shuffle" "s" {
  data = dataset.web
  config {
    anything = 1
  }
}`, []string{"checksum mismatch", "pinned"}},
		{"external pinned", `plugin "shuffle" {
  source = "./tool"
}
stage "shuffle" "s" {
  data = dataset.web
}`, nil},
		{"external missing", `plugin "shuffle" {
  source = "./missing-tool"
}
stage "shuffle" "s" {
  data = dataset.web
}`, []string{"missing-tool does not exist"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			marker := filepath.Join(dir, "started")
			// A plugin that was started leaves a marker.
			tool := "#!/bin/sh\ntouch " + marker + "\n"
			if err := os.WriteFile(filepath.Join(dir, "tool"), []byte(tool), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(validateBase+tc.stage+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			res := llmflow(t, dir, "validate", "pipeline.hcl")
			if len(tc.want) == 0 && res.code != 0 {
				t.Fatalf("exit %d, want 0\n%s", res.code, res.stderr)
			}
			if len(tc.want) > 0 && res.code != exitInvalid {
				t.Fatalf("exit %d, want %d\n%s%s", res.code, exitInvalid, res.stdout, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr does not contain %q:\n%s", w, res.stderr)
				}
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if n := e.Name(); n != "tool" && n != "pipeline.hcl" {
					t.Errorf("validate left %s behind", n)
				}
			}
		})
	}
}
