package eval

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// qaModel trains a tiny model on two question-answer pairs in random
// order (so only the question predicts the answer): its answers to them
// are fixed by construction.
func qaModel(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	r := model.NewRNG(7)
	for range 120 {
		if r.Intn(2) == 0 {
			b.WriteString("Q: cat? A: #### 4\n\n")
		} else {
			b.WriteString("Q: dog? A: #### 7\n\n")
		}
	}
	dir, _ := trainTiny(t, t.TempDir(), b.String(), 2, 1000)
	return dir
}

// ingestJSONL writes lines to a JSONL file and ingests it as the dataset
// node does, so extra fields pass through as columns.
func ingestJSONL(t *testing.T, lines ...string) string {
	t.Helper()
	tmp := t.TempDir()
	src := filepath.Join(tmp, "in.jsonl")
	if err := os.WriteFile(src, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(tmp, "ds")
	if _, err := artifact.Ingest(context.Background(), []string{src}, dst, artifact.IngestOptions{Format: "jsonl", TextField: "question"}); err != nil {
		t.Fatal(err)
	}
	return dst
}

func promptRequest(modelDir, prompts, out string, cfg map[string]cty.Value) *sdk.RunRequest {
	base := map[string]cty.Value{"template": cty.StringVal("Q: {text}? A:"), "max_new_tokens": cty.NumberIntVal(8)}
	for k, v := range cfg {
		base[k] = v
	}
	return &sdk.RunRequest{
		Config:    cty.ObjectVal(base),
		Inputs:    map[string]sdk.Input{"model": {Path: modelDir}, "prompts": {Path: prompts}},
		OutputDir: out,
	}
}

func readReport(t *testing.T, out string) Report {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(out, "report", "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Prompting == nil {
		t.Fatalf("report has no prompting section:\n%s", raw)
	}
	return rep
}

// readExamples returns the per-example dataset's rows as column -> values.
func readExamples(t *testing.T, out string) map[string][]string {
	t.Helper()
	ds, err := artifact.OpenDataset(filepath.Join(out, "report", ExamplesDir))
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string][]string{}
	err = ds.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		for c, f := range rec.Schema().Fields() {
			for r := 0; r < int(rec.NumRows()); r++ {
				cols[f.Name] = append(cols[f.Name], rec.Column(c).ValueStr(r))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// TestPromptingScores runs every scorer on a model that knows the answers:
// generation stops at the blank line, the #### answers match, the likelier
// choice is the trained one and the reference loss is low.
func TestPromptingScores(t *testing.T) {
	modelDir := qaModel(t)
	prompts := ingestJSONL(t,
		`{"question": "cat", "answer": "#### 4", "choices": ["#### 4", "#### 7"], "label": 0}`,
		`{"question": "dog", "answer": "#### 7", "choices": ["#### 4", "#### 7"], "label": "#### 7"}`,
		`{"question": "dog", "answer": "#### 1,000", "choices": ["#### 4", "#### 7"], "label": "A"}`,
	)
	out := t.TempDir()
	ev := &events{map[string]float64{}}
	scorers := cty.ListVal([]cty.Value{cty.StringVal(ScoreExactMatch), cty.StringVal(ScoreContains), cty.StringVal(ScoreMultipleChoice), cty.StringVal(ScoreResponseLoss)})
	req := promptRequest(modelDir, prompts, out, map[string]cty.Value{"scorers": scorers, "batch_size": cty.NumberIntVal(2)})
	if err := (Stage{}).Run(context.Background(), req, ev); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, out)
	ex := readExamples(t, out)
	t.Logf("generations %q, choice log-probs %q", ex["generation"], ex["choice_logprobs"])
	want := map[string][]string{
		"generation":       {" #### 4", " #### 7", " #### 7"},
		"answer":           {"4", "7", "7"},
		"reference_answer": {"4", "7", "1000"},
		"exact_match":      {"true", "true", "false"},
		"contains":         {"true", "true", "false"},
		"label":            {"0", "1", "0"},
		"choice":           {"0", "1", "1"},
		"multiple_choice":  {"true", "true", "false"},
		"prompt":           {"Q: cat? A:", "Q: dog? A:", "Q: dog? A:"},
	}
	for col, w := range want {
		if strings.Join(ex[col], "|") != strings.Join(w, "|") {
			t.Errorf("column %s = %q, want %q", col, ex[col], w)
		}
	}
	em := rep.Prompting.Rates[ScoreExactMatch]
	if em.Hits != 2 || em.N != 3 || ev.metrics["exact_match"] != 2.0/3 || ev.metrics["n"] != 3 {
		t.Errorf("exact_match %+v, metrics %v", em, ev.metrics)
	}
	lo, hi := Wilson(2, 3)
	if ev.metrics["exact_match_lo"] != lo || ev.metrics["exact_match_hi"] != hi || rep.Prompting.Rates[ScoreMultipleChoice].Hits != 2 {
		t.Errorf("metrics %v", ev.metrics)
	}
	if rep.Prompting.ResponseLoss == nil || ev.metrics["response_loss"] <= 0 || ev.metrics["response_perplexity"] != math.Exp(ev.metrics["response_loss"]) {
		t.Errorf("response loss: report %v, metrics %v", rep.Prompting.ResponseLoss, ev.metrics)
	}
}

// TestContinuationLogProbs compares batched, padded continuation scores
// with log-softmax over the logits of one forward pass per sequence.
func TestContinuationLogProbs(t *testing.T) {
	m, err := model.LoadCheckpoint(qaModel(t))
	if err != nil {
		t.Fatal(err)
	}
	cs := []continuation{
		{ctx: []int32{5, 6, 7}, cont: []int32{8}},
		{ctx: []int32{9}, cont: []int32{10, 11, 12, 13}},
		{ctx: []int32{1, 2}, cont: []int32{3, 4}},
	}
	got, err := scoreContinuations(context.Background(), m, append([]continuation(nil), cs...), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cs {
		full := append(append([]int32(nil), c.ctx...), c.cont...)
		if _, _, err := m.Forward(full, nil, nil, 1, len(full)); err != nil {
			t.Fatal(err)
		}
		var want float64
		for j, id := range c.cont {
			logits := m.Logits(0, len(c.ctx)-1+j)
			maxv := math.Inf(-1)
			for _, v := range logits {
				maxv = math.Max(maxv, float64(v))
			}
			var sum float64
			for _, v := range logits {
				sum += math.Exp(float64(v) - maxv)
			}
			want += float64(logits[id]) - maxv - math.Log(sum)
		}
		if math.Abs(got[i].logProb-want) > 1e-4 || got[i].tokens != len(c.cont) {
			t.Errorf("sequence %d: %v over %d tokens, want %v over %d", i, got[i].logProb, got[i].tokens, want, len(c.cont))
		}
	}
}

// TestPromptingShots: shots come from shots_data with the seed, never the
// prompt's own example, and the same seed draws the same shots.
func TestPromptingShots(t *testing.T) {
	modelDir := qaModel(t)
	prompts := ingestJSONL(t, `{"question": "cat", "answer": "#### 4"}`, `{"question": "dog", "answer": "#### 7"}`)
	shots := ingestJSONL(t, `{"question": "cat", "answer": "#### 4"}`, `{"question": "dog", "answer": "#### 7"}`, `{"question": "owl", "answer": "#### 2"}`)
	run := func(seed int64) []string {
		out := t.TempDir()
		req := promptRequest(modelDir, prompts, out, map[string]cty.Value{"shots": cty.NumberIntVal(2), "seed": cty.NumberIntVal(seed)})
		req.Inputs["shots_data"] = sdk.Input{Path: shots}
		if err := (Stage{}).Run(context.Background(), req, &events{map[string]float64{}}); err != nil {
			t.Fatal(err)
		}
		return readExamples(t, out)["prompt"]
	}
	a := run(1)
	for i, q := range []string{"cat", "dog"} {
		if strings.Count(a[i], "Q: "+q+"?") != 1 || strings.Count(a[i], "\n\n") != 2 || !strings.HasSuffix(a[i], "\n\nQ: "+q+"? A:") {
			t.Errorf("prompt %d shows its own example or lacks its shots:\n%s", i, a[i])
		}
	}
	if b := run(1); strings.Join(a, "|") != strings.Join(b, "|") {
		t.Errorf("same seed, different shots:\n%q\n%q", a, b)
	}
	first := ingestJSONL(t, `{"question": "cat", "answer": "#### 4"}`)
	req := promptRequest(modelDir, first, t.TempDir(), map[string]cty.Value{"shots": cty.NumberIntVal(1)})
	if err := (Stage{}).Run(context.Background(), req, &events{map[string]float64{}}); err == nil || !strings.Contains(err.Error(), "other than the prompt") {
		t.Errorf("one example as its own shot pool: err = %v", err)
	}
}

// TestPromptingErrors: configuration that cannot work on the data is an
// error naming the field, before any generation.
func TestPromptingErrors(t *testing.T) {
	modelDir := qaModel(t)
	prompts := ingestJSONL(t, `{"question": "cat", "answer": "#### 4", "opts": ["4", ""], "label": 0}`)
	for _, tc := range []struct {
		name string
		cfg  map[string]cty.Value
		in   map[string]sdk.Input
		err  string
	}{
		{"missing template field", map[string]cty.Value{"template": cty.StringVal("Q: {question}")}, nil,
			`template field "question" is not a column of input "prompts" (columns: answer, id, label, opts, text)`},
		{"missing reference", map[string]cty.Value{"reference": cty.StringVal("solution")}, nil, `reference field "solution" is not a column`},
		{"missing choices", map[string]cty.Value{"scorers": cty.ListVal([]cty.Value{cty.StringVal(ScoreMultipleChoice)})}, nil, `choices_field field "choices" is not a column`},
		{"empty choice", map[string]cty.Value{"scorers": cty.ListVal([]cty.Value{cty.StringVal(ScoreMultipleChoice)}), "target_delimiter": cty.StringVal(""), "choices_field": cty.StringVal("opts")}, nil,
			`example "in.jsonl:1": choice 1 is empty`},
		{"chat template absent", map[string]cty.Value{"chat_template": cty.True}, nil, "has no tokenizer_config.json"},
		{"no inputs", nil, map[string]sdk.Input{"model": {Path: modelDir}}, "nothing to evaluate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := promptRequest(modelDir, prompts, t.TempDir(), tc.cfg)
			if tc.in != nil {
				req.Inputs = tc.in
			}
			err := (Stage{}).Run(context.Background(), req, &events{map[string]float64{}})
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

// TestPromptSpecialTokens: a special token written in a prompt encodes as
// its id, as the Hugging Face tokenizer does, not as its characters.
func TestPromptSpecialTokens(t *testing.T) {
	dir := qaModel(t)
	m, err := model.LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	set, err := loadExamples(context.Background(), "prompts", ingestJSONL(t, `{"question": "cat?<|endoftext|>"}`), 0)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := ParseTemplate("Q: {text}")
	p := &prompting{m: m, tok: tok, set: set, c: Config{Reference: "answer"}}
	if err := p.buildPrompts(tm, nil, nil, dir); err != nil {
		t.Fatal(err)
	}
	eos, _ := tok.SpecialID("<|endoftext|>")
	want := append(tok.Encode([]byte("Q: cat?")), eos)
	if got := p.results[0].ids; !slices.Equal(got, want) {
		t.Errorf("prompt ids %v, want %v", got, want)
	}
}

// plainChat renders turns as "role: content" lines followed by
// "assistant:", the shape of a chat template's generation prompt.
type plainChat struct{ tok *tokenizer.Tokenizer }

func (c plainChat) RenderPrompt(_ string, msgs []Message) ([]int32, error) {
	var b strings.Builder
	for _, m := range msgs {
		b.WriteString(m.Role + ": " + m.Content + "\n")
	}
	b.WriteString("assistant:")
	return c.tok.EncodeWithSpecial([]byte(b.String())), nil
}

// TestPromptingChatTemplate: with chat_template = true the prompt and its
// shots become turns of a conversation rendered by Stage.Chat; a checkpoint
// without a chat template, or a stage without a renderer, is refused.
func TestPromptingChatTemplate(t *testing.T) {
	dir := qaModel(t)
	tok, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		t.Fatal(err)
	}
	prompts := ingestJSONL(t, `{"question": "cat", "answer": "#### 4"}`, `{"question": "dog", "answer": "#### 7"}`)
	cfg := map[string]cty.Value{"chat_template": cty.True, "shots": cty.NumberIntVal(1)}
	run := func(st Stage) (string, error) {
		out := t.TempDir()
		err := st.Run(context.Background(), promptRequest(dir, prompts, out, cfg), &events{map[string]float64{}})
		if err != nil {
			return "", err
		}
		return readExamples(t, out)["prompt"][0], nil
	}
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, TokenizerConfigFile), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"eos_token": "<|endoftext|>"}`)
	if _, err := run(Stage{Chat: plainChat{tok}}); err == nil || !strings.Contains(err.Error(), "has no chat_template") {
		t.Errorf("config without a chat template: err = %v", err)
	}
	write(`{"chat_template": "{% for m in messages %}{{ m.content }}{% endfor %}"}`)
	if _, err := run(Stage{}); err == nil || !strings.Contains(err.Error(), "no chat template renderer") {
		t.Errorf("stage without a renderer: err = %v", err)
	}
	got, err := run(Stage{Chat: plainChat{tok}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "user: Q: dog? A:\nassistant: #### 7\nuser: Q: cat? A:\nassistant:"; got != want {
		t.Errorf("prompt %q, want %q", got, want)
	}
}

// TestMaxExamples: max_examples evaluates the first rows only.
func TestMaxExamples(t *testing.T) {
	dir := ingestJSONL(t, `{"question": "cat", "answer": "#### 4"}`, `{"question": "dog", "answer": "#### 7"}`, `{"question": "owl", "answer": "#### 2"}`)
	for _, limit := range []int{0, 2, 5} {
		set, err := loadExamples(context.Background(), "prompts", dir, limit)
		if err != nil {
			t.Fatal(err)
		}
		want := 3
		if limit == 2 {
			want = 2
		}
		if len(set.rows) != want || set.rows[0].fields["text"] != "cat" || set.rows[0].id != "in.jsonl:1" {
			t.Errorf("limit %d: %d rows, first %+v", limit, len(set.rows), set.rows[0])
		}
	}
}
