package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// writeChatCheckpoint saves a randomly initialised GPT-2 with chatml's
// tokens and template into dir, as an sft stage's output has them.
func writeChatCheckpoint(t *testing.T, dir, corpus string) {
	t.Helper()
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 300, []string{chat.TokenEndOfText, chat.TokenIMStart, chat.TokenIMEnd, chat.TokenPad}
	tok, err := tokenizer.Train(context.Background(), [][]byte{[]byte(corpus)}, tc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: 96, NLayer: 1, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	tmpl, err := chat.Builtin(chat.ChatML)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := tmpl.Resolve(tok)
	if err != nil {
		t.Fatal(err)
	}
	m.Config.BOSTokenID, m.Config.EOSTokenID = int(ids.BOS), int(ids.EOS)
	if err := model.SaveCheckpoint(dir, m, ""); err != nil {
		t.Fatal(err)
	}
	if err := chat.WriteHFFiles(dir, tok, tmpl, 96); err != nil {
		t.Fatal(err)
	}
}

const labelPipeline = `
checkpoint "policy" { path = "policy" }

preferences "sums" {
  path         = "sums.jsonl"
  shape        = "pairs"
  val_fraction = 0.3
  seed         = 2
}

stage "reward" "rm" {
  model = checkpoint.policy
  data  = preferences.sums
  val   = preferences.sums.val
  config {
    batch_size = 4
    max_steps  = 4
    eval_every = 2
  }
}

stage "label" "ai" {
  model        = checkpoint.policy
  prompts      = preferences.sums.val
  reward_model = stage.rm
  config {
    k              = 3
    max_new_tokens = 6
  }
}

output "pairs" { value = stage.ai.data }
`

// TestLabelPipeline maps preference records with a preferences block,
// trains a reward model on its pairs and labels the held-out prompts with
// it, each stage a real plugin process.
func TestLabelPipeline(t *testing.T) {
	dir := t.TempDir()
	var jsonl, corpus strings.Builder
	for i := range 30 {
		a, b := i%7+1, i%5+2
		q, good, bad := fmt.Sprintf("What is %d plus %d?", a, b), fmt.Sprintf("%d plus %d is %d.", a, b, a+b), fmt.Sprintf("I do not know, maybe %d.", a*b+3)
		fmt.Fprintf(&jsonl, "{\"prompt\": %q, \"chosen\": %q, \"rejected\": %q}\n", q, good, bad)
		fmt.Fprintf(&corpus, "%s %s %s\n", q, good, bad)
	}
	writeChatCheckpoint(t, filepath.Join(dir, "policy"), corpus.String())
	for name, content := range map[string]string{"sums.jsonl": jsonl.String(), "p.hcl": labelPipeline} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := llmflow(t, dir, "run", "p.hcl", "--json")
	if res.code != 0 {
		t.Fatalf("run: %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	metrics := runMetrics(t, res.stdout)
	valRows := metrics["preferences.sums val_rows"]
	if metrics["preferences.sums pairs"] != 30 || valRows < 3 || valRows > 17 {
		t.Fatalf("preferences metrics: %v", metrics)
	}
	prompts := metrics["stage.ai prompts"]
	if prompts != valRows || metrics["stage.ai pairs_kept"]+metrics["stage.ai pairs_dropped"] != prompts ||
		metrics["stage.ai human_pairs"] != valRows {
		t.Fatalf("label metrics: %v", metrics)
	}
	lo, a, hi := metrics["stage.ai agreement_lo"], metrics["stage.ai agreement"], metrics["stage.ai agreement_hi"]
	if !(lo <= a && a <= hi) {
		t.Errorf("agreement %g outside [%g, %g]", a, lo, hi)
	}
	digest := strings.TrimPrefix(outputDigest(t, res.stdout, "stage.ai", "data"), "sha256:")
	pairs, err := preference.Read(context.Background(), filepath.Join(dir, ".llmflow", "store", "objects", "sha256", digest))
	if err != nil {
		t.Fatal(err)
	}
	if float64(len(pairs)) != metrics["stage.ai pairs_kept"] {
		t.Errorf("%d pairs in the output, %g kept", len(pairs), metrics["stage.ai pairs_kept"])
	}
	for _, p := range pairs {
		if !strings.HasPrefix(p.Prompt[len(p.Prompt)-1].Content, "What is ") {
			t.Errorf("pair %+v answers no held-out prompt", p)
		}
	}
}
