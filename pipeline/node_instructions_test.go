package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
)

// runInDir writes files (name -> content) and p.hcl into a fresh directory,
// then plans and runs the pipeline there.
func runInDir(t *testing.T, src string, files map[string]string, store *artifact.Store) (*eventLog, *RunResult, error) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags := Load(filepath.Join(dir, "p.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b, diags := cfg.Bind(nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p, diags := (&Planner{Store: store}).Plan(context.Background(), b)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	log := &eventLog{}
	res, err := (&Engine{Store: store, Hook: log, Parallelism: 2}).Run(context.Background(), p)
	return log, res, err
}

const chatJSONL = `{"id":"c1","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello."},{"role":"user","content":"你好"},{"role":"assistant","content":"你好！"}]}
{"id":"c2","messages":[{"role":"user","content":"2+2?"},{"role":"assistant","content":"4"}]}
{"id":"c3","messages":[{"role":"user","content":"no reply"}]}
`

func TestInstructionsNode(t *testing.T) {
	src := `
instructions "chat" {
  path     = "chat.jsonl"
  shape    = "messages"
  on_error = "skip"
}
output "data" { value = instructions.chat }
`
	store := newStore(t)
	log, res, err := runInDir(t, src, map[string]string{"chat.jsonl": chatJSONL}, store)
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("run: %v %v %v", err, res, log.events)
	}
	m, err := store.Manifest(res.Outputs["data"])
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != artifact.KindInstruction || m.Rows != 2 {
		t.Errorf("manifest kind %s rows %d", m.Kind, m.Rows)
	}
	if !strings.Contains(m.Schema, "prompt: utf8, response: utf8") || !strings.Contains(m.Schema, "messages") {
		t.Errorf("schema %s", m.Schema)
	}
	ds, err := artifact.OpenDataset(store.Path(m.Digest))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := ds.Head(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	col := func(name string) string {
		i := rec.Schema().FieldIndices(name)[0]
		return rec.Column(i).ValueStr(0)
	}
	if col("prompt") != "你好" || col("response") != "你好！" || col("system") != "Be brief." || !strings.Contains(col("messages"), `"content":"Hello."`) {
		t.Errorf("row 0: prompt %q response %q system %q messages %s", col("prompt"), col("response"), col("system"), col("messages"))
	}
}

func TestInstructionsNodeBadRecord(t *testing.T) {
	src := `
instructions "chat" {
  path  = "chat.jsonl"
  shape = "messages"
}
`
	log, res, _ := runInDir(t, src, map[string]string{"chat.jsonl": chatJSONL}, newStore(t))
	if res == nil || res.Status != StatusFailed {
		t.Fatalf("result %+v, want a failed run", res)
	}
	if !log.has("failed instructions.chat: ") || !strings.Contains(strings.Join(log.events, "\n"), "chat.jsonl:3: conversation ends with a user turn") {
		t.Errorf("events %v, want a failure naming chat.jsonl:3", log.events)
	}
}

func TestChatTemplateNode(t *testing.T) {
	src := `
chat_template "ml" { builtin = "chatml" }
chat_template "mine" {
  user              = "<|user|>\n{{content}}<|end|>\n"
  assistant         = "<|assistant|>\n{{content}}<|end|>\n"
  generation_prompt = "<|assistant|>\n"
  end_of_turn       = "<|end|>"
  special_tokens    = ["<|user|>", "<|assistant|>"]
}
output "ml"   { value = chat_template.ml }
output "mine" { value = chat_template.mine }
`
	store := newStore(t)
	log, res, err := runInDir(t, src, nil, store)
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("run: %v %v", err, log.events)
	}
	for name, want := range map[string]string{"ml": "<|im_start|>", "mine": "<|user|>\\n"} {
		tmpl, err := chat.Load(store.Path(res.Outputs[name]))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(tmpl.Jinja(), want) {
			t.Errorf("%s: Jinja %s lacks %q", name, tmpl.Jinja(), want)
		}
	}
}

const qaJSONL = `{"question":"What is 2+2?","answer":"2+2=<<2+2=4>>4\n#### 4"}
{"question":"What is 3+3?","answer":"3+3=<<3+3=6>>6\n#### 6"}
{"question":"What is 4+4?","answer":""}
{"question":"布洛芬是什么？","answer":"一种止痛药。","history":[["你好","你好！"]]}
`

// TestDatasetToInstructions ingests question/answer records with a dataset
// block (the question becomes its text column) and maps them with an
// instructions block reading that dataset; the bad record is named by the
// file and line its id records.
func TestDatasetToInstructions(t *testing.T) {
	src := `
dataset "qa" {
  path       = "qa.jsonl"
  text_field = "question"
}
instructions "qa" {
  input    = dataset.qa
  shape    = "alpaca"
  fields   = { instruction = "text", output = "answer" }
  on_error = "ONERROR"
}
output "data" { value = instructions.qa }
`
	store := newStore(t)
	log, res, err := runInDir(t, strings.Replace(src, "ONERROR", "skip", 1), map[string]string{"qa.jsonl": qaJSONL}, store)
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("run: %v %v", err, log.events)
	}
	m, err := store.Manifest(res.Outputs["data"])
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != artifact.KindInstruction || m.Rows != 3 {
		t.Errorf("kind %s rows %d, want 3 instruction rows", m.Kind, m.Rows)
	}
	ds, _ := artifact.OpenDataset(store.Path(m.Digest))
	rec, err := ds.Head(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	msgs := rec.Column(rec.Schema().FieldIndices("messages")[0]).ValueStr(2)
	if !strings.Contains(msgs, `{"role":"user","content":"你好"},{"role":"assistant","content":"你好！"}`) {
		t.Errorf("history lost through the dataset: %s", msgs)
	}
	if !log.has("finished instructions.qa") {
		t.Errorf("events %v", log.events)
	}

	log, res, _ = runInDir(t, strings.Replace(src, "ONERROR", "fail", 1), map[string]string{"qa.jsonl": qaJSONL}, newStore(t))
	if res == nil || res.Status != StatusFailed || !strings.Contains(strings.Join(log.events, "\n"), "row 3 (id qa.jsonl:3): message 1 (assistant): empty content") {
		t.Errorf("events %v, want a failure naming qa.jsonl:3", log.events)
	}
}
