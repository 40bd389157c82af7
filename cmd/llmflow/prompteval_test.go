package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
)

// promptEvalPipeline trains a tiny model on question-answer lines and
// scores it by prompting on a GSM8K-style file (question, answer ending in
// "#### N", and choices), with shots from a second file.
const promptEvalPipeline = `
dataset "corpus" {
  path = "data/corpus.jsonl"
}

dataset "questions" {
  path       = "data/questions.jsonl"
  text_field = "question"
}

dataset "shots" {
  path       = "data/shots.jsonl"
  text_field = "question"
}

tokenizer "bpe" {
  input      = dataset.corpus
  vocab_size = 300
}

tokenize "corpus" {
  input        = dataset.corpus
  tokenizer    = tokenizer.bpe
  block_size   = 32
  val_fraction = 0
}

stage "pretrain" "tiny" {
  data      = tokenize.corpus.train
  tokenizer = tokenizer.bpe
  config {
    n_layer    = 1
    n_head     = 2
    n_embd     = 16
    block_size = 32
    batch_size = 2
    max_steps  = 4
  }
}

stage "eval" "gsm" {
  model      = stage.tiny
  prompts    = dataset.questions
  shots_data = dataset.shots
  config {
    template       = "Q: {text}\nA:"
    shots          = 1
    scorers        = ["exact_match", "contains", "multiple_choice", "response_loss"]
    max_new_tokens = 6
    batch_size     = 2
  }
}
`

// TestPromptEvalPipeline runs the real dataset, pretrain and eval plugins:
// the dataset node keeps the answer and choices columns, and eval writes
// per-example results beside report.json and records its scores, with
// Wilson bounds, as run metrics.
func TestPromptEvalPipeline(t *testing.T) {
	dir := t.TempDir()
	var corpus []string
	for range 40 {
		corpus = append(corpus, `{"text": "Q: How many legs has a cat?\nA: #### 4"}`, `{"text": "Q: How many days has a week?\nA: #### 7"}`)
	}
	files := map[string]string{
		"pipeline.hcl":      promptEvalPipeline,
		"data/corpus.jsonl": strings.Join(corpus, "\n") + "\n",
		"data/questions.jsonl": `{"question": "How many legs has a cat?", "answer": "A cat has 4 legs.\n#### 4", "choices": ["4", "7"], "label": 0}
{"question": "How many days has a week?", "answer": "#### 7", "choices": ["4", "7"], "label": 1}
{"question": "How many is a thousand?", "answer": "#### 1,000", "choices": ["1000", "7"], "label": 0}
`,
		"data/shots.jsonl": `{"question": "How many wheels has a bike?", "answer": "#### 2"}
{"question": "How many legs has a cat?", "answer": "#### 4"}
`,
	}
	for name, body := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if r := llmflow(t, dir, "validate", "pipeline.hcl"); r.code != exitOK {
		t.Fatalf("validate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := llmflow(t, dir, "run", "pipeline.hcl"); r.code != exitOK {
		t.Fatalf("run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	d := latestRun(t, dir)
	metrics := map[string]float64{}
	for _, m := range d.Metrics {
		if m.Addr == "stage.gsm" {
			metrics[m.Name] = m.Last
		}
	}
	for _, name := range []string{"n", "exact_match", "exact_match_lo", "exact_match_hi", "contains", "contains_lo", "contains_hi",
		"multiple_choice", "multiple_choice_lo", "multiple_choice_hi", "response_loss", "response_perplexity"} {
		if _, ok := metrics[name]; !ok {
			t.Errorf("metric %s not recorded (have %v)", name, metrics)
		}
	}
	if metrics["n"] != 3 || metrics["exact_match_lo"] > metrics["exact_match"] || metrics["exact_match"] > metrics["exact_match_hi"] {
		t.Errorf("metrics %v", metrics)
	}
	var report string
	for _, a := range d.Artifacts {
		if a.Kind == "report" {
			report = a.Path
		}
	}
	if report == "" {
		t.Fatalf("no report artifact in %+v", d.Artifacts)
	}
	if !filepath.IsAbs(report) {
		report = filepath.Join(dir, report)
	}
	raw, err := os.ReadFile(filepath.Join(report, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Loss      *float64 `json:"loss"`
		Prompting struct {
			Examples int                        `json:"examples"`
			Shots    int                        `json:"shots"`
			Rates    map[string]json.RawMessage `json:"rates"`
			Details  string                     `json:"details"`
		} `json:"prompting"`
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Loss != nil || rep.Prompting.Examples != 3 || rep.Prompting.Shots != 1 || len(rep.Prompting.Rates) != 3 {
		t.Errorf("report.json:\n%s", raw)
	}
	ds, err := artifact.OpenDataset(filepath.Join(report, rep.Prompting.Details))
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string][]string{}
	ds.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		for c, f := range rec.Schema().Fields() {
			for r := 0; r < int(rec.NumRows()); r++ {
				cols[f.Name] = append(cols[f.Name], rec.Column(c).ValueStr(r))
			}
		}
		return nil
	})
	if got := strings.Join(cols["reference_answer"], "|"); got != "4|7|1000" {
		t.Errorf("reference answers %q, want 4|7|1000 (extracted and normalised)", got)
	}
	if got := strings.Join(cols["label"], "|"); got != "0|1|0" {
		t.Errorf("labels %q", got)
	}
	for i, p := range cols["prompt"] {
		// One shot, never the question itself: the cat question's shot is the bike.
		if strings.Count(p, "\n\nQ: ") != 1 || (i == 0 && !strings.HasPrefix(p, "Q: How many wheels has a bike?\nA: #### 2\n\n")) {
			t.Errorf("prompt %d:\n%s", i, p)
		}
	}
	for _, col := range []string{"generation", "answer", "exact_match", "contains", "choice_logprobs", "choice", "multiple_choice", "response_loss", "response_tokens"} {
		if len(cols[col]) != 3 {
			t.Errorf("column %s: %q", col, cols[col])
		}
	}
}
