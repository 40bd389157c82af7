package sft

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// TestStageRun fine-tunes a tiny checkpoint and checks the metrics and the
// checkpoint: grown vocabulary, end of turn as eos, and the Hugging Face
// chat files.
func TestStageRun(t *testing.T) {
	base := tinyCheckpoint(t, 64)
	data := writeInstructions(t, qaConvs(30))
	cfg := cty.ObjectVal(map[string]cty.Value{
		"batch_size": cty.NumberIntVal(2), "max_steps": cty.NumberIntVal(6), "eval_every": cty.NumberIntVal(3),
		"log_every": cty.NumberIntVal(1), "val_fraction": cty.NumberFloatVal(0.2),
	})
	s := Stage{}
	if diags := s.Validate(context.Background(), cfg); diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	ev := newRecEvents()
	req := &sdk.RunRequest{Config: cfg, OutputDir: t.TempDir(), Seed: 3, Inputs: map[string]sdk.Input{
		"model": {Path: base, Kind: artifact.KindCheckpoint},
		"data":  {Path: data, Kind: artifact.KindInstruction},
	}}
	if err := s.Run(context.Background(), req, ev); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"train_loss", "val_loss", "tokens_per_s", "examples_seen", "examples", "val_examples", "base_val_loss", "truncated", "dropped", "added_tokens"} {
		if _, ok := ev.metrics[name]; !ok {
			t.Errorf("metric %s not reported", name)
		}
	}
	if ev.metrics["examples"] != 24 || ev.metrics["val_examples"] != 6 || ev.metrics["added_tokens"] != 3 {
		t.Errorf("metrics %v", ev.metrics)
	}
	if len(ev.outputs) != 1 || ev.outputs[0] != "model checkpoint" {
		t.Fatalf("outputs %v", ev.outputs)
	}
	dir := filepath.Join(req.OutputDir, trainer.ModelDirName)
	m, err := model.LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	imEnd, _ := tok.SpecialID(chat.TokenIMEnd)
	pad, _ := tok.SpecialID(chat.TokenPad)
	if m.Config.VocabSize != tok.VocabSize() || m.Config.EOSTokenID != int(imEnd) || pad == imEnd {
		t.Errorf("vocab %d for a tokenizer of %d, eos %d (<|im_end|> %d, pad %d)", m.Config.VocabSize, tok.VocabSize(), m.Config.EOSTokenID, imEnd, pad)
	}
	var tc struct {
		ChatTemplate string `json:"chat_template"`
		EOSToken     string `json:"eos_token"`
		PadToken     string `json:"pad_token"`
	}
	readJSON(t, filepath.Join(dir, chat.TokenizerConfigFile), &tc)
	if tc.ChatTemplate == "" || tc.EOSToken != chat.TokenIMEnd || tc.PadToken != chat.TokenPad {
		t.Errorf("tokenizer_config.json: %+v", tc)
	}
	var gc struct {
		EOS []int32 `json:"eos_token_id"`
	}
	readJSON(t, filepath.Join(dir, chat.GenerationConfigFile), &gc)
	if len(gc.EOS) == 0 || gc.EOS[0] != imEnd {
		t.Errorf("generation_config.json eos %v, want %d first", gc.EOS, imEnd)
	}
	if tmpl, err := chat.Load(dir); err != nil || tmpl.EndOfTurn() != chat.TokenIMEnd {
		t.Errorf("template.json: %v", err)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestStageValidate(t *testing.T) {
	cfg := cty.ObjectVal(map[string]cty.Value{
		"template": cty.StringVal("llama"), "overlong": cty.StringVal("wrap"), "val_fraction": cty.NumberFloatVal(1),
	})
	diags := Stage{}.Validate(context.Background(), cfg)
	if len(diags) != 3 {
		t.Fatalf("diagnostics %v, want template, overlong and val_fraction", diags)
	}
}

// TestTemplateInput: a chat_template artifact overrides the template
// attribute, and its tokens are the ones added.
func TestTemplateInput(t *testing.T) {
	spec := chat.Spec{User: "<|user|>\n{{content}}<|end|>\n", Assistant: "<|assistant|>\n{{content}}<|end|>\n",
		GenerationPrompt: "<|assistant|>\n", EndOfTurn: "<|end|>", SpecialTokens: []string{"<|user|>", "<|assistant|>"}}
	tmpl, err := spec.Template()
	if err != nil {
		t.Fatal(err)
	}
	tdir := t.TempDir()
	if err := tmpl.Save(tdir); err != nil {
		t.Fatal(err)
	}
	cfg := cty.ObjectVal(map[string]cty.Value{"batch_size": cty.NumberIntVal(2), "max_steps": cty.NumberIntVal(2), "val_fraction": cty.NumberIntVal(0)})
	req := &sdk.RunRequest{Config: cfg, OutputDir: t.TempDir(), Seed: 1, Inputs: map[string]sdk.Input{
		"model":    {Path: tinyCheckpoint(t, 64), Kind: artifact.KindCheckpoint},
		"data":     {Path: writeInstructions(t, qaConvs(8)), Kind: artifact.KindInstruction},
		"template": {Path: tdir, Kind: artifact.KindChatTemplate},
	}}
	ev := newRecEvents()
	if err := (Stage{}).Run(context.Background(), req, ev); err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(req.OutputDir, trainer.ModelDirName, model.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"<|user|>", "<|assistant|>", "<|end|>", chat.TokenPad} {
		if _, ok := tok.SpecialID(s); !ok {
			t.Errorf("token %s not added", s)
		}
	}
	if _, ok := tok.SpecialID(chat.TokenIMEnd); ok || ev.metrics["added_tokens"] != 4 {
		t.Errorf("added %v tokens; chatml's among them: %v", ev.metrics["added_tokens"], ok)
	}
}
