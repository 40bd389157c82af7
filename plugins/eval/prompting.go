package eval

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/align/rewardscore"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// prompting evaluates a checkpoint by prompting it with the examples of a
// text dataset and scoring what it generates or how likely it finds the
// reference answers.
type prompting struct {
	c       Config
	m       *model.Model
	tok     *tokenizer.Tokenizer
	set     *exampleSet
	extract *Extractor
	eos     int32
	reward  *rewardscore.Scorer // nil: answers are not scored by a reward model
	results []result
}

// result is what one example produced; see examplesSchema.
type result struct {
	prompt, reference  string
	user               string  // the prompt as a user turn, without shots
	ids                []int32 // the prompt's
	truncated          bool
	generation, answer string
	refAnswer          string
	exact, contains    bool
	choices            []string
	choiceLogProbs     []float64
	choice, label      int
	respLogProb        float64
	respTokens         int
	reward             float64
}

// enabled reports whether scorer name is asked for.
func (p *prompting) enabled(name string) bool { return slices.Contains(p.c.Scorers, name) }

func (p *prompting) generates() bool {
	return p.enabled(ScoreExactMatch) || p.enabled(ScoreContains) || p.reward != nil
}

// check confirms the dataset has every column the config names.
func (p *prompting) check(t *Template) error {
	if err := p.set.need("template", t.Fields()...); err != nil {
		return err
	}
	if p.enabled(ScoreExactMatch) || p.enabled(ScoreContains) || p.enabled(ScoreResponseLoss) {
		if err := p.set.need("reference", p.c.Reference); err != nil {
			return err
		}
	}
	if p.enabled(ScoreMultipleChoice) {
		if err := p.set.need("choices_field", p.c.ChoicesField); err != nil {
			return err
		}
		return p.set.need("label_field", p.c.LabelField)
	}
	return nil
}

// buildPrompts renders every example's prompt with its shots and encodes it,
// through the chat renderer when one is given.
func (p *prompting) buildPrompts(t *Template, pool *shotPool, chat ChatRenderer, ckpt string) error {
	p.results = make([]result, len(p.set.rows))
	for i := range p.set.rows {
		r := &p.results[i]
		text, err := p.set.render(t, i)
		if err != nil {
			return err
		}
		var shots []shot
		if pool != nil {
			if shots, err = pool.draw(p.c.Shots, text, i, p.c.Seed); err != nil {
				return err
			}
		}
		r.user = text
		if r.reference, err = p.reference(i); err != nil {
			return err
		}
		if chat != nil {
			if r.ids, err = chat.RenderPrompt(ckpt, chatMessages(shots, text)); err != nil {
				return fmt.Errorf("eval: example %q: chat template: %w", p.set.rows[i].id, err)
			}
			b, err := p.tok.Decode(r.ids)
			if err != nil {
				return fmt.Errorf("eval: chat template gave %w", err)
			}
			r.prompt = string(b)
			continue
		}
		r.prompt = fewShotText(shots, text, p.c.TargetDelimiter, p.c.ShotSeparator)
		// Special tokens written in a prompt are those tokens, as the
		// Hugging Face tokenizer encodes them.
		r.ids = p.tok.EncodeWithSpecial([]byte(r.prompt))
		if len(r.ids) == 0 {
			r.ids = []int32{int32(p.m.Config.BOSTokenID)}
		}
	}
	return nil
}

// reference is example i's reference, "" when no scorer needs one.
func (p *prompting) reference(i int) (string, error) {
	if !slices.Contains(p.set.columns, p.c.Reference) {
		return "", nil
	}
	return p.set.value(i, p.c.Reference)
}

// generate continues every prompt, up to batch_size per decoding step, and
// scores the answers.
func (p *prompting) generate(ctx context.Context, ev sdk.Events) error {
	P := p.m.MaxTokens()
	prompts := make([][]int32, len(p.results))
	samplers := make([]*model.Sampler, len(p.results))
	for i := range p.results {
		r := &p.results[i]
		var cut bool
		prompts[i], cut = fitPrompt(r.ids, P, p.c.MaxNew)
		r.truncated = r.truncated || cut
		// Vocab: a model padded past its tokenizer never yields an id the
		// tokenizer cannot decode.
		samplers[i] = &model.Sampler{Vocab: p.tok.VocabSize()}
		if !p.c.Greedy {
			samplers[i] = &model.Sampler{Temperature: p.c.Temperature, TopK: p.c.TopK, TopP: p.c.TopP, Vocab: p.tok.VocabSize(), RNG: model.NewRNG(uint64(p.c.Seed) + uint64(i))}
		}
	}
	opt := model.BatchOptions{MaxNew: p.c.MaxNew, Rows: p.c.BatchSize, Stop: p.eos}
	var buf []byte
	chunk := 4 * p.c.BatchSize // progress and cancellation between chunks
	for lo := 0; lo < len(prompts); lo += chunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+chunk, len(prompts))
		opt.Done = func(_ int, out []int32) bool {
			buf, _ = p.tok.AppendDecode(buf[:0], out)
			return stopAt(string(buf), p.c.Stop) >= 0
		}
		outs, err := p.m.GenerateBatch(prompts[lo:hi], samplers[lo:hi], opt)
		if err != nil {
			return err
		}
		for j, out := range outs {
			if err := p.score(&p.results[lo+j], out); err != nil {
				return err
			}
		}
		ev.Progress(int64(hi), int64(len(prompts)), "generations")
	}
	return nil
}

// fitPrompt leaves room in a context of P positions for maxNew tokens, but
// never less than half of it for the prompt (a generation then ends when the
// context is full): the prompt's oldest tokens go first.
func fitPrompt(ids []int32, P, maxNew int) ([]int32, bool) {
	if keep := P - min(maxNew, P/2); len(ids) > keep {
		return ids[len(ids)-keep:], true
	}
	return ids, false
}

// score decodes a generation, cuts it at the first stop sequence and
// compares its answer with the reference's.
func (p *prompting) score(r *result, out []int32) error {
	if n := len(out); n > 0 && out[n-1] == p.eos {
		out = out[:n-1]
	}
	b, err := p.tok.Decode(out)
	if err != nil {
		return err
	}
	r.generation = string(b)
	if i := stopAt(r.generation, p.c.Stop); i >= 0 {
		r.generation = r.generation[:i]
	}
	r.answer, r.refAnswer = p.extract.Extract(r.generation), p.extract.Extract(r.reference)
	r.exact = r.answer == r.refAnswer
	r.contains = Contains(r.generation, r.refAnswer)
	return nil
}

// scoreRewards scores every generated answer with the reward model, the
// prompt (without shots) as a user turn and the answer as the reply.
func (p *prompting) scoreRewards(ev sdk.Events) error {
	items := make([]rewardscore.Item, len(p.results))
	for i, r := range p.results {
		items[i] = rewardscore.Item{Prompt: []chat.Message{{Role: chat.RoleUser, Content: r.user}}, Answer: strings.TrimSpace(r.generation)}
	}
	scores, err := p.reward.Score(items, p.c.BatchSize)
	if err != nil {
		return fmt.Errorf("eval: reward_model: %w", err)
	}
	for i, s := range scores {
		p.results[i].reward = s
	}
	ev.Log(fmt.Sprintf("scored %d answers with the reward model", len(scores)))
	return nil
}

// stopAt returns where the first of stops starts in s, or -1.
func stopAt(s string, stops []string) int {
	at := -1
	for _, st := range stops {
		if i := strings.Index(s, st); st != "" && i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	return at
}

// chooseAnswers scores every choice as a continuation of its prompt and
// picks the most likely, by sum or by mean per token.
func (p *prompting) chooseAnswers(ctx context.Context, ev sdk.Events) error {
	var cs []continuation
	for i := range p.results {
		r := &p.results[i]
		var err error
		if r.choices, r.label, err = p.choicesOf(i); err != nil {
			return err
		}
		for j, ch := range r.choices {
			cont := p.tok.Encode([]byte(p.c.TargetDelimiter + ch))
			if len(cont) == 0 {
				// An empty continuation has log-probability 0 and would always win.
				return fmt.Errorf("eval: input %q, example %q: choice %d is empty", p.set.input, p.set.rows[i].id, j)
			}
			cs = append(cs, continuation{ctx: r.ids, cont: cont})
		}
	}
	scores, err := scoreContinuations(ctx, p.m, cs, p.c.BatchSize, func(done int) { ev.Progress(int64(done), int64(len(cs)), "choices") })
	if err != nil {
		return err
	}
	k := 0
	for i := range p.results {
		r := &p.results[i]
		r.choice = -1
		best := math.Inf(-1)
		for range r.choices {
			s := scores[k]
			k++
			lp := s.logProb
			if p.c.ChoiceNormalize && s.tokens > 0 {
				lp /= float64(s.tokens)
			}
			r.choiceLogProbs = append(r.choiceLogProbs, lp)
			r.truncated = r.truncated || s.truncated
			if lp > best {
				best, r.choice = lp, len(r.choiceLogProbs)-1
			}
		}
	}
	return nil
}

// responseLoss scores every reference as a continuation of its prompt.
func (p *prompting) responseLoss(ctx context.Context, ev sdk.Events) error {
	cs := make([]continuation, len(p.results))
	for i := range p.results {
		r := &p.results[i]
		cs[i] = continuation{ctx: r.ids, cont: p.tok.Encode([]byte(p.c.TargetDelimiter + r.reference))}
	}
	scores, err := scoreContinuations(ctx, p.m, cs, p.c.BatchSize, func(done int) { ev.Progress(int64(done), int64(len(cs)), "responses") })
	if err != nil {
		return err
	}
	for i, s := range scores {
		r := &p.results[i]
		r.respLogProb, r.respTokens = s.logProb, s.tokens
		r.truncated = r.truncated || s.truncated
	}
	return nil
}

// prompt runs the prompting evaluation of the examples in promptsDir (shots
// from shotsDir, or promptsDir when empty) and writes the per-example
// results to the Arrow dataset examplesDir.
func (st Stage) prompt(ctx context.Context, m *model.Model, tok *tokenizer.Tokenizer, rm *rewardscore.Scorer, ckpt, promptsDir, shotsDir string, c Config, examplesDir string, ev sdk.Events) (*PromptReport, error) {
	t, err := ParseTemplate(c.Template)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	p := &prompting{c: c, m: m, tok: tok, eos: eosID(tok), reward: rm}
	if p.extract, err = NewExtractor(c.AnswerRegex); err != nil {
		return nil, fmt.Errorf("eval: answer_regex: %w", err)
	}
	if p.set, err = loadExamples(ctx, "prompts", promptsDir, c.MaxExamples); err != nil {
		return nil, err
	}
	if len(p.set.rows) == 0 {
		return nil, fmt.Errorf("eval: input \"prompts\" at %s is empty: it has no example to prompt with", promptsDir)
	}
	if err := p.check(t); err != nil {
		return nil, err
	}
	var chat ChatRenderer
	if c.ChatTemplate {
		if err := checkChatTemplate(ckpt); err != nil {
			return nil, err
		}
		if chat = st.Chat; chat == nil {
			return nil, fmt.Errorf("eval: chat_template = true, but this build of the eval stage has no chat template renderer; set chat_template = false to format prompts with template")
		}
	}
	var pool *shotPool
	if c.Shots == 0 && shotsDir != "" {
		ev.Log("shots_data is wired but shots = 0: no shots are shown")
	}
	if c.Shots > 0 {
		shots := p.set
		if shotsDir != "" {
			if shots, err = loadExamples(ctx, "shots_data", shotsDir, 0); err != nil {
				return nil, err
			}
			if err := shots.need("template", t.Fields()...); err != nil {
				return nil, err
			}
		}
		if err := shots.need("reference", c.Reference); err != nil {
			return nil, err
		}
		if pool, err = newShotPool(shots, t, c.Reference); err != nil {
			return nil, err
		}
	}
	if err := p.buildPrompts(t, pool, chat, ckpt); err != nil {
		return nil, err
	}
	if p.generates() {
		if err := p.generate(ctx, ev); err != nil {
			return nil, err
		}
	}
	if p.reward != nil {
		if err := p.scoreRewards(ev); err != nil {
			return nil, err
		}
	}
	if p.enabled(ScoreMultipleChoice) {
		if err := p.chooseAnswers(ctx, ev); err != nil {
			return nil, err
		}
	}
	if p.enabled(ScoreResponseLoss) {
		if err := p.responseLoss(ctx, ev); err != nil {
			return nil, err
		}
	}
	if err := p.writeExamples(examplesDir); err != nil {
		return nil, err
	}
	rep := p.summarize(ev)
	if rep.Truncated > 0 {
		ev.Log(fmt.Sprintf("%d of %d prompts lost their oldest tokens to fit the model's context of %d tokens; fewer shots or a shorter template keep them whole", rep.Truncated, rep.Examples, m.MaxTokens()))
	}
	return rep, nil
}
