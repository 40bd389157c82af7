package align

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/instruction"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sft"
)

// The synthetic task: asked about a thing, the policy answers in one of
// two styles; the reward model prefers the one that says "good".
var ppoNouns = []string{"cats", "dogs", "rain", "tea", "books", "music", "trees", "bread", "snow", "boats",
	"maps", "stars", "lamps", "clocks", "shoes", "roads", "birds", "fish", "cups", "hills", "coats", "doors", "keys", "bells",
	"ships", "cars", "pens", "rings", "songs", "games", "hats", "walls", "gifts", "seeds", "farms", "kites", "nuts", "plums", "ponds", "tents"}

func ppoPrompt(noun string) string { return fmt.Sprintf("Tell me about %s.", noun) }

// ppoAnswers returns the preferred and the other answer about noun.
func ppoAnswers(noun string) (good, plain string) {
	return fmt.Sprintf("%s are good.", strings.ToUpper(noun[:1])+noun[1:]), fmt.Sprintf("I know %s.", noun)
}

// ppoConvs returns both answers to every prompt about nouns, the plain one
// three times: the SFT policy mostly answers plainly, and PPO has to find
// the preferred answer in its rarer samples.
func ppoConvs(nouns []string) [][]chat.Message {
	var out [][]chat.Message
	for _, n := range nouns {
		good, plain := ppoAnswers(n)
		for _, a := range []string{good, plain, plain, plain} {
			out = append(out, []chat.Message{{Role: chat.RoleUser, Content: ppoPrompt(n)}, {Role: chat.RoleAssistant, Content: a}})
		}
	}
	return out
}

// ppoFixture is a tiny SFT policy and a reward model trained from it.
type ppoFixture struct {
	policy, reward string
}

// newPPOFixture pretrains nothing: it fine-tunes a random tiny GPT-2 on
// both answer styles (so the policy says either) and trains a reward model
// from it on pairs that prefer the "good" answer.
func newPPOFixtureIn(t testing.TB, dir string, nEmbd, sftSteps, rewardSteps int) ppoFixture {
	t.Helper()
	var text []byte
	for _, c := range ppoConvs(ppoNouns) {
		text = fmt.Appendf(text, "%s %s\n", c[0].Content, c[1].Content)
	}
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 320, []string{chat.TokenEndOfText}
	tok, err := tokenizer.Train(context.Background(), [][]byte{text}, tc)
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(dir, "tok.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: 48, NLayer: 2, NHead: 2, NEmbd: nEmbd, LayerNormEps: 1e-5})
	if err != nil {
		t.Fatal(err)
	}
	m.Init(1)
	base := filepath.Join(dir, "base")
	if err := model.SaveCheckpoint(base, m, tokPath); err != nil {
		t.Fatal(err)
	}
	cfg := sft.DefaultConfig()
	cfg.BatchSize, cfg.MaxSteps, cfg.LR, cfg.MinLR, cfg.Warmup, cfg.EvalEvery, cfg.LogEvery, cfg.Seed = 8, sftSteps, 3e-3, 3e-4, 10, 0, 0, 1
	res, err := sft.Train(context.Background(), cfg, sft.Inputs{ModelDir: base, Train: ppoConvs(ppoNouns), Val: [][]chat.Message{}}, filepath.Join(dir, "sft"), newRecEvents())
	if err != nil {
		t.Fatal(err)
	}
	f := ppoFixture{policy: res.Dir, reward: filepath.Join(dir, "reward")}
	trainPPORewardModel(t, f.policy, f.reward, rewardSteps)
	return f
}

// trainPPORewardModel trains a reward model from the checkpoint in from with
// the Bradley-Terry loss on (good, plain) pairs and saves it to to.
func trainPPORewardModel(t testing.TB, from, to string, steps int) {
	t.Helper()
	pol, err := LoadPolicy(from, "")
	if err != nil {
		t.Fatal(err)
	}
	m, enc, ids := pol.Model, pol.Encoder, pol.IDs
	h, err := m.AttachScore(7)
	if err != nil {
		t.Fatal(err)
	}
	var seqs [][2][]int32
	for _, n := range ppoNouns {
		good, plain := ppoAnswers(n)
		var pair [2][]int32
		for k, a := range []string{good, plain} {
			pair[k], _, err = enc.Encode([]chat.Message{{Role: chat.RoleUser, Content: ppoPrompt(n)}, {Role: chat.RoleAssistant, Content: a}}, chat.Options{})
			if err != nil {
				t.Fatal(err)
			}
		}
		seqs = append(seqs, pair)
	}
	opt := model.NewAdamW(m.NumTrainable(), 0)
	const B = 8
	for s := range steps {
		T := 0
		for i := range B {
			p := seqs[(s*B+i)%len(seqs)]
			T = max(T, len(p[0]), len(p[1]))
		}
		inputs, rows := make([]int32, 2*B*T), make([]int, 2*B)
		for i := range B {
			p := seqs[(s*B+i)%len(seqs)]
			for k := range 2 {
				r := 2*i + k
				for j := range T {
					inputs[r*T+j] = ids.Pad
				}
				copy(inputs[r*T:], p[k])
				rows[r] = r*T + len(p[k]) - 1
			}
		}
		m.ZeroGrad()
		if _, _, err := m.ForwardBatch(model.Batch{B: 2 * B, T: T, Inputs: inputs}); err != nil {
			t.Fatal(err)
		}
		sc := h.Forward(rows)
		dOut := make([]float32, 2*B)
		for i := range B {
			// d/dr_c of −log σ(r_c − r_r) = −σ(r_r − r_c).
			g := 1 / (1 + math.Exp(float64(sc[2*i]-sc[2*i+1]))) / B
			dOut[2*i], dOut[2*i+1] = float32(-g), float32(g)
		}
		dh := make([]float32, 2*B*T*m.Config.NEmbd)
		h.Backward(rows, dOut, dh)
		if err := m.BackwardHidden(1, dh); err != nil {
			t.Fatal(err)
		}
		opt.Update(m, 1e-3)
	}
	if err := model.SaveReward(to, m, h, int(ids.Pad), from); err != nil {
		t.Fatal(err)
	}
}

// writePPOPrompts ingests prompts about nouns as an instruction dataset.
func writePPOPrompts(t testing.TB, nouns []string) string {
	t.Helper()
	dir := t.TempDir()
	var b []byte
	for _, n := range nouns {
		_, plain := ppoAnswers(n)
		b = fmt.Appendf(b, "{\"prompt\": %q, \"response\": %q}\n", ppoPrompt(n), plain)
	}
	src := filepath.Join(dir, "prompts.jsonl")
	if err := os.WriteFile(src, b, 0o644); err != nil {
		t.Fatal(err)
	}
	c := instruction.DefaultConfig()
	c.Shape = "prompt_response"
	out := filepath.Join(dir, "data")
	if _, err := instruction.Ingest(context.Background(), []string{src}, out, c); err != nil {
		t.Fatal(err)
	}
	return out
}

// sharedBinDir holds the llmflow binary the pipeline tests build.
var sharedBinDir string

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{sharedFixtureDir, sharedBinDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}
