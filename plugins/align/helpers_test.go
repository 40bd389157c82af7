package align

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	mpeft "github.com/llmflow/llmflow/model/peft"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// recEvents records metrics (every value by name, in order), logs and
// outputs.
type recEvents struct {
	mu      sync.Mutex
	metrics map[string][]float64
	steps   map[string][]int64
	logs    []string
	outputs map[string]string
}

func newRecEvents() *recEvents {
	return &recEvents{metrics: map[string][]float64{}, steps: map[string][]int64{}, outputs: map[string]string{}}
}

func (e *recEvents) Progress(int64, int64, string) {}
func (e *recEvents) Log(line string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = append(e.logs, line)
}
func (e *recEvents) Metric(step int64, name string, v float64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.metrics[name] = append(e.metrics[name], v)
	e.steps[name] = append(e.steps[name], step)
}
func (e *recEvents) Output(name, path, kind string) { e.outputs[name] = path }

// last returns the last value of metric name, failing without one.
func (e *recEvents) last(t *testing.T, name string) float64 {
	t.Helper()
	v := e.metrics[name]
	if len(v) == 0 {
		t.Fatalf("no metric %q", name)
	}
	return v[len(v)-1]
}

// testPairs returns n pairs whose chosen answer is right and rejected one
// wrong: a preference a tiny model can learn.
func testPairs(n int) []preference.Pair {
	var out []preference.Pair
	for i := range n {
		a, b := i%7+1, i%5+2
		p := preference.Pair{ID: fmt.Sprint("p", i),
			Prompt:   []chat.Message{{Role: chat.RoleUser, Content: fmt.Sprintf("What is %d plus %d?", a, b)}},
			Chosen:   fmt.Sprintf("%d plus %d is %d.", a, b, a+b),
			Rejected: fmt.Sprintf("I do not know, maybe %d.", a*b+3),
		}
		if i%3 == 0 { // a multi-turn prompt
			p.Prompt = append([]chat.Message{{Role: chat.RoleUser, Content: "Hello."}, {Role: chat.RoleAssistant, Content: "Hello! Ask me."}}, p.Prompt...)
		}
		out = append(out, p)
	}
	return out
}

// writePairs writes pairs into a preference dataset.
func writePairs(t *testing.T, pairs []preference.Pair) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pairs")
	w, err := preference.NewWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		if err := w.Append(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chatCheckpoint writes a randomly initialised 2-layer GPT-2 with chatml's
// tokens and template, as an sft stage's output has.
func chatCheckpoint(t testing.TB) string {
	t.Helper()
	var text []byte
	for _, p := range testPairs(40) {
		text = fmt.Appendf(text, "%s %s %s\n", p.Prompt[len(p.Prompt)-1].Content, p.Chosen, p.Rejected)
	}
	tc := tokenizer.DefaultConfig()
	tc.VocabSize, tc.SpecialTokens = 300, []string{chat.TokenEndOfText, chat.TokenIMStart, chat.TokenIMEnd, chat.TokenPad}
	tok, err := tokenizer.Train(context.Background(), [][]byte{text}, tc)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(model.Config{VocabSize: tok.VocabSize(), NPositions: 128, NLayer: 2, NHead: 2, NEmbd: 16, LayerNormEps: 1e-5})
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
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	if err := model.SaveCheckpoint(ckpt, m, ""); err != nil {
		t.Fatal(err)
	}
	if err := chat.WriteHFFiles(ckpt, tok, tmpl, 128); err != nil {
		t.Fatal(err)
	}
	return ckpt
}

// loraAdapter writes a LoRA adapter on the checkpoint in base with
// non-zero (trained-looking) B, so the policy differs from its base.
func loraAdapter(t *testing.T, base string) string {
	t.Helper()
	m, err := model.LoadCheckpoint(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.AttachLoRA(model.LoRA{R: 4, Alpha: 8, TargetModules: []string{"attn.c_attn", "mlp.c_fc"}}, 2); err != nil {
		t.Fatal(err)
	}
	r := model.NewRNG(5)
	for _, ts := range m.Tensors {
		if ts.Kind == "lora" {
			for i := ts.Off; i < ts.Off+ts.Size; i++ {
				m.Params[i] = float32(r.Normal() * 0.1)
			}
		}
	}
	b, err := mpeft.BaseOf(base)
	if err != nil {
		t.Fatal(err)
	}
	b.NameOrPath = "ckpt"
	dir := filepath.Join(t.TempDir(), "adapter")
	if err := mpeft.Save(dir, m, b); err != nil {
		t.Fatal(err)
	}
	return dir
}

// stageConfig is a small training config with attrs overriding it.
func stageConfig(attrs map[string]cty.Value) cty.Value {
	c := map[string]cty.Value{
		"batch_size": cty.NumberIntVal(4), "max_steps": cty.NumberIntVal(4), "log_every": cty.NumberIntVal(1),
		"eval_every": cty.NumberIntVal(2), "val_fraction": cty.NumberFloatVal(0.25),
	}
	for k, v := range attrs {
		c[k] = v
	}
	return cty.ObjectVal(c)
}

// runStage validates cfg and runs s on the inputs (name → path).
func runStage(t *testing.T, s sdk.Stage, cfg cty.Value, out string, inputs map[string]string) (*recEvents, error) {
	t.Helper()
	if diags := s.Validate(context.Background(), cfg); diags.HasErrors() {
		t.Fatal(diags.Err())
	}
	kinds := map[string]string{"model": artifact.KindCheckpoint, "adapter": artifact.KindAdapter, "data": artifact.KindPreference, "val": artifact.KindPreference}
	req := &sdk.RunRequest{Config: cfg, OutputDir: out, Seed: 3, Inputs: map[string]sdk.Input{}}
	for name, path := range inputs {
		req.Inputs[name] = sdk.Input{Path: path, Kind: kinds[name]}
	}
	ev := newRecEvents()
	return ev, s.Run(context.Background(), req, ev)
}
