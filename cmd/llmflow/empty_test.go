package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/pipeline/runstore"
)

// emptyEvalPipeline trains a tiny model on the quickstart corpus and
// evaluates it on a split that %s empties.
const emptyEvalPipeline = `
dataset "web" {
  path = "data/web.jsonl"
}

clean "held" {
  input     = dataset.web
  min_words = %d
}

tokenizer "bpe" {
  input      = dataset.web
  vocab_size = 300
}

tokenize "web" {
  input        = dataset.web
  tokenizer    = tokenizer.bpe
  block_size   = 32
  val_fraction = %s
}

tokenize "held" {
  input        = clean.held
  tokenizer    = tokenizer.bpe
  block_size   = 32
  val_fraction = 0
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
    eval_every = 2
    log_every  = 1
  }
}

stage "eval" "report" {
  model = stage.tiny
  data  = %s
}
`

// TestEmptyEvaluationData runs the real pretrain and eval plugins on
// evaluation data that val_fraction = 0 or cleaning emptied: eval fails
// naming the node that emptied its input, and pretrain reports no
// validation metric rather than a loss of 0.
func TestEmptyEvaluationData(t *testing.T) {
	for _, tc := range []struct {
		name     string
		minWords int
		valFrac  string
		evalData string
		wantErr  string
		wantVal  bool
	}{
		{"val_fraction zero", 1, "0", "tokenize.web.val",
			`stage.report: input "data" (tokenize.web.val) is empty: tokenize.web wrote 0 rows — val_fraction = 0?`, false},
		{"cleaning removed the eval set", 100000, "0.2", "tokenize.held.train",
			`stage.report: input "data" (tokenize.held.train) is empty: tokenize.held wrote 0 rows from the empty clean.held.data; clean.held dropped all 400 rows of dataset.web.data`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := quickstart(t)
			src := fmt.Sprintf(emptyEvalPipeline, tc.minWords, tc.valFrac, tc.evalData)
			if err := os.WriteFile(filepath.Join(dir, "empty.hcl"), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			r := llmflow(t, dir, "run", "empty.hcl")
			if r.code != exitNodesFailed {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitNodesFailed, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout+r.stderr, tc.wantErr) {
				t.Errorf("output lacks %q:\n%s%s", tc.wantErr, r.stdout, r.stderr)
			}
			d := latestRun(t, dir)
			status := map[string]string{}
			for _, n := range d.Nodes {
				status[n.Addr] = n.Status
				if n.Addr == "stage.report" && n.Error != tc.wantErr {
					t.Errorf("recorded error %q, want %q", n.Error, tc.wantErr)
				}
			}
			if status["stage.tiny"] != runstore.StatusSucceeded || status["stage.report"] != runstore.StatusFailed {
				t.Errorf("node statuses %v", status)
			}
			gotVal := false
			for _, m := range d.Metrics {
				if m.Addr == "stage.tiny" && strings.HasPrefix(m.Name, "val_") {
					gotVal = true
					if m.Last == 0 || math.IsNaN(m.Last) {
						t.Errorf("metric %s = %v", m.Name, m.Last)
					}
				}
				if m.Addr == "stage.report" {
					t.Errorf("eval recorded metric %s = %v", m.Name, m.Last)
				}
			}
			if gotVal != tc.wantVal {
				t.Errorf("pretrain reported validation metrics: %v, want %v", gotVal, tc.wantVal)
			}
		})
	}
}

// latestRun reads the newest run through `runs show --json`.
func latestRun(t *testing.T, dir string) *runstore.RunDetail {
	t.Helper()
	r := llmflow(t, dir, "runs", "show", "--json", "latest")
	if r.code != exitOK {
		t.Fatalf("runs show: exit %d\n%s", r.code, r.stderr)
	}
	var d runstore.RunDetail
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("runs show --json: %v\n%s", err, r.stdout)
	}
	return &d
}
