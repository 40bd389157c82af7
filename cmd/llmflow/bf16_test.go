package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/model/kernel"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// bf16Pipeline trains a tiny model with the given precision and save_dtype.
const bf16Pipeline = `
dataset "web" {
  path = "data/web.jsonl"
}

tokenizer "bpe" {
  input      = dataset.web
  vocab_size = 300
}

tokenize "web" {
  input        = dataset.web
  tokenizer    = tokenizer.bpe
  block_size   = 32
  val_fraction = 0.1
}

stage "pretrain" "tiny" {
  data      = tokenize.web.train
  val       = tokenize.web.val
  tokenizer = tokenizer.bpe
  config {
    n_layer    = 1
    n_head     = 2
    n_embd     = 16
    block_size = 32
    batch_size = 2
    max_steps  = 4
    precision  = %q
    save_dtype = %q
  }
}
`

// TestPretrainBF16 runs the real pretrain plugin with precision = "bf16":
// the run's log records the kernel path it took (LLMFLOW_KERNEL forces
// it), the checkpoint holds BF16 weights, and a misspelt precision is
// refused before anything runs.
func TestPretrainBF16(t *testing.T) {
	dir := quickstart(t)
	write := func(prec, dtype string) {
		src := fmt.Sprintf(bf16Pipeline, prec, dtype)
		if err := os.WriteFile(filepath.Join(dir, "bf16.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bf16x", "bf16")
	if r := llmflow(t, dir, "validate", "bf16.hcl"); r.code == exitOK || !strings.Contains(r.stderr+r.stdout, "precision") {
		t.Fatalf("validate accepted precision \"bf16x\" (exit %d):\n%s%s", r.code, r.stdout, r.stderr)
	}
	write("bf16", "bf16")
	t.Setenv(kernel.PathEnv, kernel.PathFP32)
	if r := llmflow(t, dir, "run", "bf16.hcl"); r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	d := latestRun(t, dir)
	db, err := runstore.OpenReadOnly(filepath.Join(dir, ".llmflow", "llmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	events, err := db.Events(context.Background(), d.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "precision bf16: matrix kernels " + kernel.PathFP32
	found := false
	for _, e := range events {
		found = found || strings.Contains(e.Message, want)
	}
	if !found {
		for _, e := range events {
			t.Logf("event %s: %s", e.Type, e.Message)
		}
		t.Errorf("no event says %q", want)
	}
	var ckpt string
	for _, a := range d.Artifacts {
		if _, err := os.Stat(filepath.Join(a.Path, "config.json")); err == nil {
			ckpt = a.Path
		}
	}
	if ckpt == "" {
		t.Fatal("the run recorded no checkpoint")
	}
	cfg, err := os.ReadFile(filepath.Join(ckpt, "config.json"))
	if err != nil || !strings.Contains(string(cfg), `"torch_dtype": "bfloat16"`) {
		t.Errorf("checkpoint config.json (%v) lacks torch_dtype bfloat16:\n%s", err, cfg)
	}
}
