package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// tinyCheckpoint writes a small GPT-2 checkpoint (vocabulary vocab, at
// least the tokenizer's) into a fresh directory and returns it.
func tinyCheckpoint(tb testing.TB, vocab int) string {
	tb.Helper()
	tok, err := tokenizer.Train(context.Background(), [][]byte{[]byte("a small text for a small model")},
		tokenizer.Config{VocabSize: 270, MinFrequency: 1, SpecialTokens: []string{"<|endoftext|>"}})
	if err != nil {
		tb.Fatal(err)
	}
	if vocab == 0 {
		vocab = tok.VocabSize()
	}
	tmp := tb.TempDir()
	tokPath := filepath.Join(tmp, "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		tb.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: vocab, NPositions: 16, NLayer: 1, NHead: 2, NEmbd: 8, LayerNormEps: 1e-5})
	if err != nil {
		tb.Fatal(err)
	}
	m.Init(1)
	dir := filepath.Join(tmp, "ckpt")
	if err := model.SaveCheckpoint(dir, m, tokPath); err != nil {
		tb.Fatal(err)
	}
	return dir
}

func TestCheckCheckpoint(t *testing.T) {
	edit := func(name, content string) func(dir string) {
		return func(dir string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	replace := func(name, old, new string) func(dir string) {
		return func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			edit(name, strings.Replace(string(b), old, new, 1))(dir)
		}
	}
	for _, c := range []struct {
		name string
		edit func(dir string)
		want string
	}{
		{"valid", func(string) {}, ""},
		{"valid with hf files", func(dir string) {
			edit("generation_config.json", `{"eos_token_id": [0], "pad_token_id": null}`)(dir)
			edit("tokenizer_config.json", `{"chat_template": "x", "eos_token": "<|endoftext|>"}`)(dir)
		}, ""},
		{"config not json", edit("config.json", "{"), "config.json"},
		{"config wrong type", replace("config.json", `"n_layer": 1`, `"n_layer": "1"`), "config.json"},
		{"config shape mismatch", replace("config.json", `"n_embd": 8`, `"n_embd": 4`), "model.safetensors"},
		{"config model type", replace("config.json", `"model_type": "gpt2"`, `"model_type": "llama"`), `model_type "llama"`},
		{"weights truncated", func(dir string) {
			b, _ := os.ReadFile(filepath.Join(dir, "model.safetensors"))
			edit("model.safetensors", string(b[:len(b)/2]))(dir)
		}, "model.safetensors"},
		{"tokenizer not json", edit("tokenizer.json", "[]"), "tokenizer.json"},
		{"eos outside vocabulary", edit("generation_config.json", `{"eos_token_id": [0, 100000]}`), "generation_config.json: eos_token_id 100000"},
		{"tokenizer_config not an object", edit("tokenizer_config.json", `[1]`), "tokenizer_config.json: not a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := tinyCheckpoint(t, 0)
			c.edit(dir)
			_, err := checkCheckpoint(dir)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// A tokenizer with more ids than the model's embedding is refused.
func TestCheckCheckpointTokenizerVocab(t *testing.T) {
	dir := tinyCheckpoint(t, 0)
	small := tinyCheckpoint(t, 0)
	tok, _ := tokenizer.Load(filepath.Join(small, "tokenizer.json"))
	grown, _, err := tok.WithAddedTokens([]string{"<|im_start|>", "<|im_end|>"})
	if err != nil {
		t.Fatal(err)
	}
	if err := grown.Save(filepath.Join(dir, "tokenizer.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := checkCheckpoint(dir); err == nil || !strings.Contains(err.Error(), "tokenizer.json has") {
		t.Fatalf("got %v, want the tokenizer refused", err)
	}
}

func TestCheckpointSourcesMissingFile(t *testing.T) {
	dir := tinyCheckpoint(t, 0)
	os.Remove(filepath.Join(dir, "tokenizer.json"))
	_, err := checkpointSources(&CheckpointConfig{Path: dir}, "/")
	if err == nil || !strings.Contains(err.Error(), "tokenizer.json is missing") {
		t.Fatalf("got %v", err)
	}
	if _, err := checkpointSources(&CheckpointConfig{Path: "nowhere"}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("got %v", err)
	}
}

// FuzzCheckpointConfig feeds arbitrary config.json files to the import
// check next to valid weights and tokenizer: errors, never a panic.
func FuzzCheckpointConfig(f *testing.F) {
	dir := tinyCheckpoint(f, 0)
	valid, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add([]byte(`{"n_layer": 1e9, "n_embd": 8, "n_head": 2, "vocab_size": 267, "n_positions": 16}`))
	f.Add([]byte(`{"n_inner": null, "n_embd": -8}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := checkCheckpoint(dir)
		if err != nil && !strings.Contains(err.Error(), dir) && !strings.Contains(err.Error(), "model config") {
			t.Fatalf("error does not name the file: %v", err)
		}
	})
}
