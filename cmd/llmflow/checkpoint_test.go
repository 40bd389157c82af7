package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// writeTinyCheckpoint saves a randomly initialised GPT-2 with a small
// trained tokenizer into dir, in the Hugging Face layout.
func writeTinyCheckpoint(t *testing.T, dir string) {
	t.Helper()
	tok, err := tokenizer.Train(context.Background(), [][]byte{[]byte("the small model reads the small text")},
		tokenizer.Config{VocabSize: 280, MinFrequency: 1, SpecialTokens: []string{"<|endoftext|>"}})
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: 32, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	if err := model.SaveCheckpoint(dir, m, tokPath); err != nil {
		t.Fatal(err)
	}
}

const checkpointPipeline = `
checkpoint "tiny" { path = "CKPT" }

stage "eval" "report" {
  model = checkpoint.tiny
  config {
    prompts        = ["the small"]
    max_new_tokens = 4
  }
}

output "report" { value = stage.report.report }
`

// TestCheckpointImportEval imports a checkpoint directory with a
// checkpoint block and evaluates it with the eval stage (a real plugin
// process); moving the directory keeps the model's digest, so the eval is
// served from the cache.
func TestCheckpointImportEval(t *testing.T) {
	dir := t.TempDir()
	writeTinyCheckpoint(t, filepath.Join(dir, "models", "a"))
	write := func(ckpt string) {
		src := strings.Replace(checkpointPipeline, "CKPT", ckpt, 1)
		if err := os.WriteFile(filepath.Join(dir, "p.hcl"), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("models/a")
	first := runJSON(t, dir)
	if first["checkpoint.tiny"].status != "node_finished" || first["stage.report"].status != "node_finished" {
		t.Fatalf("first run: %+v", first)
	}
	reports, _ := filepath.Glob(filepath.Join(dir, ".llmflow", "store", "objects", "sha256", "*", "report.json"))
	if len(reports) != 1 {
		t.Fatalf("%d report.json files in the store", len(reports))
	}
	var rep struct {
		Samples []struct{ Prompt, Completion string }
	}
	b, _ := os.ReadFile(reports[0])
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Samples) != 1 || rep.Samples[0].Prompt != "the small" {
		t.Fatalf("report %s: %v", b, err)
	}

	if err := os.Rename(filepath.Join(dir, "models", "a"), filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	write("moved")
	second := runJSON(t, dir)
	if second["checkpoint.tiny"].model != first["checkpoint.tiny"].model {
		t.Errorf("moved checkpoint digest %s, was %s", second["checkpoint.tiny"].model, first["checkpoint.tiny"].model)
	}
	if second["stage.report"].status != "node_cached" {
		t.Errorf("eval after moving the checkpoint: %s, want node_cached", second["stage.report"].status)
	}
}

type nodeEvent struct{ status, model string }

// runJSON runs p.hcl in dir with --json and returns each node's last event
// type and model output.
func runJSON(t *testing.T, dir string) map[string]nodeEvent {
	t.Helper()
	res := llmflow(t, dir, "run", "p.hcl", "--json")
	if res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	out := map[string]nodeEvent{}
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var ev struct {
			Type    string            `json:"type"`
			Node    string            `json:"node"`
			Outputs map[string]string `json:"outputs"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if ev.Node != "" {
			out[ev.Node] = nodeEvent{ev.Type, ev.Outputs["model"]}
		}
	}
	return out
}

// TestEvalPaddedVocabulary: the eval stage samples prompts from a model
// whose embedding is padded past its tokenizer, as generate and chat do,
// without drawing an id the tokenizer cannot decode.
func TestEvalPaddedVocabulary(t *testing.T) {
	dir := t.TempDir()
	writePaddedCheckpoint(t, filepath.Join(dir, "models", "padded"), 8)
	src := strings.Replace(checkpointPipeline, "CKPT", "models/padded", 1)
	if err := os.WriteFile(filepath.Join(dir, "p.hcl"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runJSON(t, dir); res["stage.report"].status != "node_finished" {
		t.Fatalf("eval of a padded model: %+v", res)
	}
}
