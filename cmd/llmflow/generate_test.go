package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/model/peft"
)

// writePaddedCheckpoint saves a random GPT-2 whose embedding has pad more
// rows than its tokenizer has ids, as models padded to a round vocabulary
// do. The padded rows are made large in opposite directions, so without a
// mask some padded id wins nearly every draw.
func writePaddedCheckpoint(t *testing.T, dir string, pad int) (*model.Model, *tokenizer.Tokenizer) {
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
	m, err := model.New(model.Config{VocabSize: tok.VocabSize() + pad, NPositions: 32, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	_, wte, _ := m.Tensor("wte.weight")
	r := model.NewRNG(5)
	C := m.Config.NEmbd
	for id := tok.VocabSize(); id+1 < m.Config.VocabSize; id += 2 {
		for i := 0; i < C; i++ {
			v := float32(r.Normal() * 20)
			wte[id*C+i], wte[(id+1)*C+i] = v, -v
		}
	}
	if err := model.SaveCheckpoint(dir, m, tokPath); err != nil {
		t.Fatal(err)
	}
	return m, tok
}

// TestGenerate runs `llmflow generate` on a checkpoint whose model
// vocabulary is padded past its tokenizer's and whose prompt holds an added
// token: the padded ids are never sampled, and the added token is one id,
// so the text is what greedy decoding of the Hugging Face ids gives.
func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	m, tok := writePaddedCheckpoint(t, ckpt, 8)
	eot, _ := tok.SpecialID("<|endoftext|>")
	for _, tc := range []struct{ name, prompt string }{
		{"plain", "the small"},
		{"added token", "<|endoftext|>the"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := llmflow(t, dir, "generate", "--checkpoint", ckpt, "--prompt", tc.prompt, "--temperature", "0", "--max-tokens", "6")
			if res.code != 0 {
				t.Fatalf("generate: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			ids := tok.NewEncoder().EncodeWithSpecial(nil, []byte(tc.prompt))
			if tc.name == "added token" && ids[0] != eot {
				t.Fatalf("test setup: %q encodes to %v", tc.prompt, ids)
			}
			out, err := m.Generate(ids, 6, &model.Sampler{Vocab: tok.VocabSize()}, eot)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) > 0 && out[len(out)-1] == eot {
				out = out[:len(out)-1]
			}
			text, _ := tok.Decode(out)
			if want := tc.prompt + string(text) + "\n"; res.stdout != want {
				t.Errorf("output %q, want %q", res.stdout, want)
			}
		})
	}
}

// echoCheckpoint writes a checkpoint whose greedy next token is its last
// input token: random embeddings, no position embedding and zero output
// projections in every block, so the final hidden state is the last
// token's own embedding.
func echoCheckpoint(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 300, []string{"<|endoftext|>"}
	tok, err := tokenizer.Train(context.Background(), [][]byte{[]byte(strings.Repeat("ab cd ef gh ", 50))}, tc)
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: 32, NLayer: 1, NHead: 2, NEmbd: 64, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	for _, ts := range m.Tensors {
		if strings.HasSuffix(ts.Name, "wpe.weight") || strings.HasSuffix(ts.Name, "c_proj.weight") {
			clear(m.Params[ts.Off : ts.Off+ts.Size])
		}
	}
	ckpt := filepath.Join(dir, "ckpt")
	if err := model.SaveCheckpoint(ckpt, m, tokPath); err != nil {
		t.Fatal(err)
	}
	return ckpt
}

// TestGenerateEncodesSpecialTokens: a special token typed in a prompt is
// one id, as the Hugging Face tokenizer encodes it. The echo model then
// repeats <|endoftext|>, which stops generation at once; encoded as
// characters, it would repeat the prompt's last character instead.
func TestGenerateEncodesSpecialTokens(t *testing.T) {
	ckpt := echoCheckpoint(t)
	r := llmflow(t, t.TempDir(), "generate", "--checkpoint", ckpt, "--prompt", "ab<|endoftext|>", "--temperature", "0", "--max-tokens", "4")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if r.stdout != "ab<|endoftext|>\n" {
		t.Errorf("stdout %q, want the prompt alone", r.stdout)
	}
}

// TestGenerateAdapter runs `llmflow generate --adapter` with each kind of
// adapter file: the text is what greedy decoding of the base with the
// adapter attached gives (past the context, where the window slides, too)
// and differs from the base's own. A LoRA adapter of another base is
// refused.
func TestGenerateAdapter(t *testing.T) {
	dir := t.TempDir()
	ckpt, other := filepath.Join(dir, "ckpt"), filepath.Join(dir, "other")
	_, tok := writePaddedCheckpoint(t, ckpt, 0)
	writePaddedCheckpoint(t, other, 2)
	eot, _ := tok.SpecialID("<|endoftext|>")
	// attached returns the base in ckpt with an adapter given large
	// values, so that it changes the greedy path, and saves the adapter.
	attached := func(name, base string, attach func(*model.Model) error) (*model.Model, string) {
		m, err := model.LoadCheckpoint(base)
		if err != nil {
			t.Fatal(err)
		}
		if err := attach(m); err != nil {
			t.Fatal(err)
		}
		r := model.NewRNG(3)
		for _, ts := range m.Tensors {
			for i := ts.Off; ts.Extra && i < ts.Off+ts.Size; i++ {
				m.Params[i] = float32(r.Normal() * 0.5)
			}
		}
		b, _ := peft.BaseOf(base)
		out := filepath.Join(dir, name)
		if err := peft.Save(out, m, b); err != nil {
			t.Fatal(err)
		}
		return m, out
	}
	const prompt, maxTokens = "the small", "40" // 40 > n_positions 32
	gen := func(args ...string) result {
		r := llmflow(t, dir, append([]string{"generate", "--checkpoint", ckpt, "--prompt", prompt, "--temperature", "0", "--max-tokens", maxTokens}, args...)...)
		if r.code != 0 {
			t.Fatalf("generate %v: exit %d\n%s", args, r.code, r.stderr)
		}
		return r
	}
	plain := gen().stdout
	for _, tc := range []struct {
		name   string
		attach func(*model.Model) error
	}{
		{"prefix", func(m *model.Model) error { return m.AttachPrefix(model.Prefix{NumVirtualTokens: 4}, 1) }},
		{"bottleneck", func(m *model.Model) error { return m.AttachAdapters(model.Adapters{Bottleneck: 4}, 1) }},
		{"lora", func(m *model.Model) error {
			return m.AttachLoRA(model.LoRA{R: 2, Alpha: 4, TargetModules: model.LoRAModules[:]}, 1)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, adapter := attached(tc.name, ckpt, tc.attach)
			got := gen("--adapter", adapter).stdout
			out, err := m.Generate(tok.EncodeWithSpecial([]byte(prompt)), 40, &model.Sampler{Vocab: tok.VocabSize()}, eot)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) > 0 && out[len(out)-1] == eot {
				out = out[:len(out)-1]
			}
			text, _ := tok.Decode(out)
			if want := prompt + string(text) + "\n"; got != want {
				t.Errorf("output %q, want %q", got, want)
			}
			if got == plain {
				t.Errorf("the adapter did not change the text %q", got)
			}
		})
	}
	t.Run("other base", func(t *testing.T) {
		_, adapter := attached("other-lora", other, func(m *model.Model) error {
			return m.AttachLoRA(model.LoRA{R: 2, Alpha: 2, TargetModules: []string{"attn.c_attn"}}, 1)
		})
		r := llmflow(t, dir, "generate", "--checkpoint", ckpt, "--adapter", adapter, "--prompt", "the")
		if want := "the adapter was trained on base model"; r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, want 1 with %q\n%s", r.code, want, r.stderr)
		}
	})
}
