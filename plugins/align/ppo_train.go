package align

import (
	"context"
	"fmt"
	"math"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/plugins/trainer"
)

// ValueHead is the name of the PPO value head, as TRL's
// AutoModelForCausalLMWithValueHead names it (v_head.summary.weight, .bias).
const ValueHead = "v_head.summary"

// ppoModels are the networks PPO runs: the policy with its value head, the
// frozen reference, and the reward model with its score head.
type ppoModels struct {
	pol    *Policy
	policy *model.Model // pol.Model
	// ref is nil for a LoRA policy: its base, with the adapter bypassed, is
	// the reference.
	value  *model.Head
	ref    *model.Model
	reward *model.Model
	score  *model.Head
}

// ppo is one PPO run: the models, the optimizer, the KL controller and the
// position in the prompts.
type ppo struct {
	cfg PPOConfig
	ppoModels
	opt     *model.AdamW
	kl      klController
	step    int
	prompts [][]int32 // training prompts, tokenized with the generation prompt
	val     [][]int32
	tok     *tokenizer.Tokenizer
	// eot ends a response; pad fills batch rows; vocab bounds sampling.
	eot, pad int32
	// turnTail is how a complete assistant turn ends in the chat template
	// (end of turn and what follows it), what the reward model saw last.
	turnTail []int32
	vocab    int
	rows     int // rollouts per mini-batch and per scoring forward pass
	buf      buffers
	perms    map[int][]int
	report   []reportRow
	before   *heldOut
}

// stepStats are the figures of one PPO step.
type stepStats struct {
	scoreMean, scoreStd, kl, klCoef, entropy, responseLen, returnsMean float64
	opt                                                                optStats
}

// newPPO prepares a run on models; the optimizer covers the policy's
// trainable tensors, the value head included.
func newPPO(cfg PPOConfig, ms ppoModels, prompts, val [][]int32) (*ppo, error) {
	tok := ms.pol.Tokenizer
	p := &ppo{cfg: cfg, ppoModels: ms, prompts: prompts, val: val, tok: tok, eot: ms.pol.IDs.EOS, pad: ms.pol.IDs.Pad,
		vocab: tok.VocabSize(), rows: cfg.BatchSize / cfg.MiniBatches, perms: map[int][]int{}}
	var err error
	if p.turnTail, err = turnTail(ms.pol.Encoder, p.eot); err != nil {
		return nil, err
	}
	p.opt = model.NewAdamW(ms.policy.NumTrainable(), float32(cfg.WeightDecay))
	p.kl = klController{Coef: cfg.InitKLCoef}
	if cfg.AdaptiveKL {
		p.kl.Target, p.kl.Horizon = cfg.TargetKL, cfg.Horizon
	}
	return p, nil
}

// turnTail returns the ids that end an assistant turn in enc's rendering:
// the end of turn and what the template writes after it (chatml's newline).
func turnTail(enc *chat.Encoder, eot int32) ([]int32, error) {
	ids, _, err := enc.Encode([]chat.Message{{Role: chat.RoleUser, Content: "q"}, {Role: chat.RoleAssistant, Content: "a"}}, chat.Options{})
	if err != nil {
		return nil, err
	}
	for i := len(ids) - 1; i >= 0; i-- {
		if ids[i] == eot {
			return ids[i:], nil
		}
	}
	return nil, fmt.Errorf("ppo: the chat template renders no end-of-turn token (id %d) after an answer", eot)
}

// scored is a rollout as the reward model reads it: the prompt and the
// response as a complete turn of the chat template, whether the response
// stopped at its end of turn or ran out of tokens, as the reward stage
// rendered its pairs and eval and label score answers. A sequence longer
// than the reward model's context keeps its last tokens.
func (p *ppo) scored(r *rollout) []int32 {
	resp := r.response
	if n := len(resp); n > 0 && resp[n-1] == p.eot {
		resp = resp[:n-1]
	}
	seq := make([]int32, 0, len(r.prompt)+len(resp)+len(p.turnTail))
	seq = append(append(append(seq, r.prompt...), resp...), p.turnTail...)
	return seq[max(0, len(seq)-p.reward.Config.NPositions):]
}

// The random streams of a run, each a coordinate of streamSeed.
const (
	streamPromptOrder uint64 = iota + 1
	streamRollout
	streamMiniBatches
	streamHeldOut
	streamValueHead
)

// streamSeed derives the seed of one random stream (a rollout's sampler, an
// epoch's order) from the run's seed and the stream's coordinates, so every
// draw is fixed by the step alone and a resumed run repeats it.
func streamSeed(seed int64, parts ...uint64) uint64 {
	r := model.NewRNG(uint64(seed))
	s := r.Uint64()
	for _, x := range parts {
		r.State = s ^ (x * 0x9e3779b97f4a7c15)
		s = r.Uint64()
	}
	return s
}

// permutation returns a seeded shuffle of 0..n-1.
func permutation(n int, seed uint64) []int {
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	r := model.NewRNG(seed)
	for i := n - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		perm[i], perm[j] = perm[j], perm[i]
	}
	return perm
}

// batchPrompts returns the prompts of PPO step s: the next batch_size of a
// seeded shuffle of the prompts, reshuffled at each pass over them.
func (p *ppo) batchPrompts(s int) [][]int32 {
	B, N := p.cfg.BatchSize, len(p.prompts)
	out := make([][]int32, B)
	for i := range out {
		g := s*B + i
		e := g / N
		perm, ok := p.perms[e]
		if !ok {
			perm = permutation(N, streamSeed(p.cfg.Seed, streamPromptOrder, uint64(e)))
			p.perms = map[int][]int{e: perm} // one pass at a time is enough
		}
		out[i] = p.prompts[perm[g%N]]
	}
	return out
}

// sample continues prompts with the policy, prompt i drawing from the
// stream (kind, i) of step s at temperature (0: greedy).
func (p *ppo) sample(prompts [][]int32, temperature float64, kind uint64, s int) ([]*rollout, error) {
	samplers := make([]*model.Sampler, len(prompts))
	for i := range samplers {
		samplers[i] = &model.Sampler{Temperature: temperature, TopK: p.cfg.TopK, Vocab: p.vocab,
			RNG: model.NewRNG(streamSeed(p.cfg.Seed, kind, uint64(s), uint64(i)))}
	}
	gen := p.policy
	if p.pol.Adapter != nil {
		// The decoder runs base weights only: sample from the merged
		// weights, equal up to rounding; the log-probs PPO uses come from
		// forward passes of the policy itself.
		var err error
		if gen, err = p.policy.MergeLoRA(); err != nil {
			return nil, err
		}
	}
	resp, err := gen.GenerateBatch(prompts, samplers, model.BatchOptions{MaxNew: p.cfg.MaxNewTokens, Rows: len(prompts), Stop: p.eot})
	if err != nil {
		return nil, err
	}
	rs := make([]*rollout, len(prompts))
	for i := range rs {
		rs[i] = &rollout{prompt: prompts[i], response: resp[i]}
	}
	return rs, nil
}

// evaluate fills the rollouts' policy statistics, reference log-probs and
// scores.
func (p *ppo) evaluate(rs []*rollout) error {
	if err := policyStats(p.policy, p.value, rs, p.rows, p.vocab, p.pad); err != nil {
		return err
	}
	var err error
	if p.ref != nil {
		err = refLogProbs(p.ref, rs, p.rows, p.pad)
	} else {
		err = p.pol.Reference(func() error { return refLogProbs(p.policy, rs, p.rows, p.pad) })
	}
	if err != nil {
		return err
	}
	seqs := make([][]int32, len(rs))
	for i, r := range rs {
		seqs[i] = p.scored(r)
	}
	scores, err := model.Scores(p.reward, p.score, seqs, p.rows)
	if err != nil {
		return err
	}
	for i, r := range rs {
		r.score = float64(scores[i])
	}
	return nil
}

// runStep samples a rollout batch, scores it, and optimises the policy and
// value head on it for ppo_epochs passes of mini_batches steps.
func (p *ppo) runStep(ctx context.Context) (stepStats, []*rollout, error) {
	c := p.cfg
	rs, err := p.sample(p.batchPrompts(p.step), c.Temperature, streamRollout, p.step)
	if err != nil {
		return stepStats{}, nil, err
	}
	if err := p.evaluate(rs); err != nil {
		return stepStats{}, nil, err
	}
	st := stepStats{klCoef: p.kl.Coef}
	var scores []float64
	var tokens int
	for _, r := range rs {
		r.setRewards(p.kl.Coef)
		scores = append(scores, r.score)
		st.kl += r.kl()
		st.entropy += r.entropy
		st.responseLen += float64(len(r.response))
		tokens += len(r.response)
	}
	advantages(rs, c.Gamma, c.Lambda)
	for _, r := range rs {
		for _, v := range r.ret {
			st.returnsMean += v
		}
	}
	n := float64(len(rs))
	st.scoreMean, st.scoreStd = meanStd(scores)
	st.kl /= n
	st.entropy /= n
	st.responseLen /= n
	st.returnsMean /= float64(tokens)
	for e := range c.PPOEpochs {
		order := permutation(len(rs), streamSeed(c.Seed, streamMiniBatches, uint64(p.step), uint64(e)))
		for mb := range c.MiniBatches {
			if ctx.Err() != nil {
				return stepStats{}, nil, ctx.Err()
			}
			part := make([]*rollout, p.rows)
			for i := range part {
				part[i] = rs[order[mb*p.rows+i]]
			}
			if err := p.optimise(part, &st.opt); err != nil {
				return stepStats{}, nil, err
			}
		}
	}
	p.kl.update(st.kl, len(rs))
	p.step++
	return st, rs, nil
}

// meanStd returns the mean and the sample standard deviation of xs.
func meanStd(xs []float64) (mean, std float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

// heldOut is the reward model's verdict on the policy's responses to the
// held-out prompts.
type heldOut struct {
	N         int     `json:"n"`
	ScoreMean float64 `json:"score_mean"`
	ScoreStd  float64 `json:"score_std"`
	KL        float64 `json:"kl"`
}

// evalHeldOut answers the held-out prompts (greedily, or sampled from the
// seed at eval_temperature; the same streams before and after training)
// and scores the answers.
func (p *ppo) evalHeldOut() (*heldOut, error) {
	if len(p.val) == 0 {
		return nil, nil
	}
	var all []*rollout
	for lo := 0; lo < len(p.val); lo += p.cfg.BatchSize {
		part := p.val[lo:min(lo+p.cfg.BatchSize, len(p.val))]
		rs, err := p.sample(part, p.cfg.EvalTemperature, streamHeldOut, lo)
		if err != nil {
			return nil, err
		}
		if err := p.evaluate(rs); err != nil {
			return nil, err
		}
		all = append(all, rs...)
	}
	h := &heldOut{N: len(all)}
	scores := make([]float64, len(all))
	for i, r := range all {
		scores[i] = r.score
		h.KL += r.kl() / float64(len(all))
	}
	h.ScoreMean, h.ScoreStd = meanStd(scores)
	return h, nil
}

// reportStep emits the metrics of one PPO step.
func reportStep(ev trainer.Events, step int64, st stepStats) {
	o := st.opt
	t := float64(max(o.tokens, 1))
	for _, m := range []struct {
		name string
		v    float64
	}{
		{"score_mean", st.scoreMean}, {"score_std", st.scoreStd}, {"kl", st.kl}, {"kl_coef", st.klCoef},
		{"entropy", st.entropy}, {"response_length", st.responseLen}, {"returns/mean", st.returnsMean},
		{"policy/clipfrac", float64(o.clipped) / t}, {"policy/approxkl", o.approxKL / t},
		{"loss/policy", o.policyLoss / t}, {"loss/value", o.valueLoss / t},
		{"value/clipfrac", float64(o.valueClipped) / t}, {"grad_norm", o.gradNorm / float64(max(o.steps, 1))},
	} {
		ev.Metric(step, m.name, m.v)
	}
	ev.Log(fmt.Sprintf("ppo step %d: score %.4f, kl %.4f (coef %.4f), entropy %.3f, clipfrac %.3f, value loss %.4f",
		step, st.scoreMean, st.kl, st.klCoef, st.entropy, float64(o.clipped)/t, o.valueLoss/t))
}
