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

// TestGenerateAdapterRefused: generation computes the plain model with a KV
// cache, so --adapter with a prefix or bottleneck adapter is a usage error
// naming its type, and a LoRA adapter of another base is refused.
func TestGenerateAdapterRefused(t *testing.T) {
	dir := t.TempDir()
	ckpt, other := filepath.Join(dir, "ckpt"), filepath.Join(dir, "other")
	writePaddedCheckpoint(t, ckpt, 0)
	writePaddedCheckpoint(t, other, 2)
	save := func(name, base string, attach func(*model.Model) error) string {
		mm, err := model.LoadCheckpoint(base)
		if err != nil {
			t.Fatal(err)
		}
		if err := attach(mm); err != nil {
			t.Fatal(err)
		}
		b, _ := peft.BaseOf(base)
		out := filepath.Join(dir, name)
		if err := peft.Save(out, mm, b); err != nil {
			t.Fatal(err)
		}
		return out
	}
	for _, tc := range []struct {
		name, adapter, want string
		code                int
	}{
		{"prefix", save("prefix", ckpt, func(m *model.Model) error { return m.AttachPrefix(model.Prefix{NumVirtualTokens: 2}, 1) }),
			"holds a PREFIX_TUNING adapter", 2},
		{"bottleneck", save("bottleneck", ckpt, func(m *model.Model) error { return m.AttachAdapters(model.Adapters{Bottleneck: 2}, 1) }),
			"holds a BOTTLENECK_ADAPTER adapter", 2},
		{"other base", save("lora", other, func(m *model.Model) error {
			return m.AttachLoRA(model.LoRA{R: 2, Alpha: 2, TargetModules: []string{"attn.c_attn"}}, 1)
		}), "the adapter was trained on base model", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := llmflow(t, dir, "generate", "--checkpoint", ckpt, "--adapter", tc.adapter, "--prompt", "the")
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q\n%s", r.code, tc.code, tc.want, r.stderr)
			}
		})
	}
}
