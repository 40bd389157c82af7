package align

import (
	"fmt"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/preference"
	"github.com/llmflow/llmflow/model"
)

// Truncation bounds the token sequences of a pair as TRL's DPO and reward
// trainers do: when prompt and answer exceed MaxLength, the prompt keeps
// its last MaxPromptLength tokens (the latest turns matter most), then the
// answers are cut to fit.
// Stages embed it in their config; 0 takes the defaults (see resolve).
type Truncation struct {
	MaxLength       int `cty:"max_length" json:"max_length"`
	MaxPromptLength int `cty:"max_prompt_length" json:"max_prompt_length"`
}

// resolve fills the defaults: MaxLength the context n, MaxPromptLength half
// of MaxLength.
func (t Truncation) resolve(n int) (Truncation, error) {
	if t.MaxLength == 0 {
		t.MaxLength = n
	}
	if t.MaxPromptLength == 0 {
		t.MaxPromptLength = t.MaxLength / 2
	}
	switch {
	case t.MaxLength < 2 || t.MaxLength > n:
		return t, fmt.Errorf("max_length %d must be between 2 and the model's context (n_positions %d)", t.MaxLength, n)
	case t.MaxPromptLength < 1 || t.MaxPromptLength >= t.MaxLength:
		return t, fmt.Errorf("max_prompt_length %d must be at least 1 and below max_length %d", t.MaxPromptLength, t.MaxLength)
	}
	return t, nil
}

// Sequence is a prompt and one answer as tokens. Mask is 1 on the answer's
// tokens (its text and end of turn) whose log-probabilities make the
// sequence's log-prob; the reward is read at the last token.
type Sequence struct {
	IDs  []int32
	Mask []uint8
}

// EncodedPair is a preference pair as token sequences sharing the prompt.
type EncodedPair struct {
	Chosen, Rejected Sequence
	// Index is the pair's position in the input of EncodePairs.
	Index int
}

// PairCounts says what encoding did to the pairs.
type PairCounts struct {
	Pairs, Truncated, Dropped int
}

// EncodePairs renders every pair's prompt with the generation prompt and
// each answer after it through enc's chat template, and truncates them to
// tr. A pair left without an answer token, or with the same tokens for both
// answers, is dropped.
func EncodePairs(enc *chat.Encoder, pairs []preference.Pair, tr Truncation) ([]EncodedPair, PairCounts, error) {
	var out []EncodedPair
	var n PairCounts
	for pi, p := range pairs {
		prompt, _, err := enc.Encode(p.Prompt, chat.Options{Generate: true})
		if err != nil {
			return nil, n, fmt.Errorf("pair %s: %v", p.ID, err)
		}
		var full [2]Sequence
		k := len(prompt)
		for i, answer := range []string{p.Chosen, p.Rejected} {
			conv := append(append([]chat.Message(nil), p.Prompt...), chat.Message{Role: chat.RoleAssistant, Content: answer})
			ids, mask, err := enc.Encode(conv, chat.Options{})
			if err != nil {
				return nil, n, fmt.Errorf("pair %s: %v", p.ID, err)
			}
			full[i] = Sequence{IDs: ids, Mask: mask}
			// The answer starts where the prompt's tokens stop matching
			// (the prompt's own assistant turns are not part of it).
			k = min(k, commonPrefix(prompt, ids))
		}
		var resp [2]Sequence
		for i, f := range full {
			resp[i] = Sequence{IDs: f.IDs[k:], Mask: f.Mask[k:]}
		}
		pr := prompt[:k]
		e, cut := truncatePair(pr, resp, tr)
		if e == nil {
			n.Dropped++
			continue
		}
		if cut {
			n.Truncated++
		}
		e.Index = pi
		out = append(out, *e)
		n.Pairs++
	}
	return out, n, nil
}

// truncatePair joins prompt and answers under tr; nil when nothing of an
// answer is left to learn or both answers came out the same.
func truncatePair(prompt []int32, resp [2]Sequence, tr Truncation) (*EncodedPair, bool) {
	longest := max(len(resp[0].IDs), len(resp[1].IDs))
	cut := false
	if len(prompt)+longest > tr.MaxLength && len(prompt) > tr.MaxPromptLength {
		prompt, cut = prompt[len(prompt)-tr.MaxPromptLength:], true
	}
	var seqs [2]Sequence
	for i, r := range resp {
		ids, mask := r.IDs, r.Mask
		if room := tr.MaxLength - len(prompt); len(ids) > room {
			ids, mask, cut = ids[:room], mask[:room], true
		}
		s := Sequence{IDs: make([]int32, 0, len(prompt)+len(ids)), Mask: make([]uint8, len(prompt), len(prompt)+len(ids))}
		s.IDs = append(append(s.IDs, prompt...), ids...)
		s.Mask = append(s.Mask, mask...)
		if !anyMasked(s.Mask) {
			return nil, cut
		}
		seqs[i] = s
	}
	if equalIDs(seqs[0].IDs, seqs[1].IDs) {
		return nil, cut
	}
	return &EncodedPair{Chosen: seqs[0], Rejected: seqs[1]}, cut
}

func commonPrefix(a, b []int32) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func anyMasked(m []uint8) bool {
	for _, v := range m {
		if v != 0 {
			return true
		}
	}
	return false
}

func equalIDs(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// LogProbs are sequences' summed log-probabilities over their masked tokens
// and the number of those tokens.
type LogProbs struct {
	Sum    []float64
	Tokens []int
}

// Mean returns sequence i's log-prob per token (IPO's average).
func (l LogProbs) Mean(i int) float64 { return l.Sum[i] / float64(max(1, l.Tokens[i])) }

// SequenceLogProbs runs m on seqs, batch rows at a time, and returns each
// sequence's log-probability summed over its masked tokens. The sums add
// per-token log-probs in position order, so they do not depend on the
// batch or the thread count.
func SequenceLogProbs(m *model.Model, seqs []Sequence, batch int) (LogProbs, error) {
	out := LogProbs{Sum: make([]float64, len(seqs)), Tokens: make([]int, len(seqs))}
	batch = max(batch, 1)
	var rows rowBuffers
	for lo := 0; lo < len(seqs); lo += batch {
		part := seqs[lo:min(lo+batch, len(seqs))]
		T := 0
		for _, s := range part {
			T = max(T, len(s.IDs))
		}
		b := rows.batch(len(part), T)
		for i, s := range part {
			lo, hi := i*T, (i+1)*T
			fillRow(b.Inputs[lo:hi], b.Targets[lo:hi], b.Seg[lo:hi], b.Weights[lo:hi], s)
		}
		b.HeadOnTargets = true // log-probabilities of the responses only
		if _, _, err := m.ForwardBatch(b); err != nil {
			return LogProbs{}, err
		}
		losses := m.Losses()
		for i := range part {
			out.Sum[lo+i], out.Tokens[lo+i] = rowLogProb(losses, b.Targets, i, T)
		}
	}
	return out, nil
}

// rowLogProb is −Σ losses over row i's targets (T positions a row).
func rowLogProb(losses []float32, targets []int32, i, T int) (float64, int) {
	var s float64
	n := 0
	for t := i * T; t < (i+1)*T; t++ {
		if targets[t] >= 0 {
			s -= float64(losses[t])
			n++
		}
	}
	return s, n
}

// rowBuffers hold the slices of evaluation batches, grown as needed.
type rowBuffers struct {
	inputs, targets, seg []int32
	weights              []float32
}

func (r *rowBuffers) batch(B, T int) model.Batch {
	if n := B * T; len(r.inputs) < n {
		r.inputs, r.targets, r.seg, r.weights = make([]int32, n), make([]int32, n), make([]int32, n), make([]float32, n)
	}
	n := B * T
	return model.Batch{B: B, T: T, Inputs: r.inputs[:n], Targets: r.targets[:n], Seg: r.seg[:n], Weights: r.weights[:n]}
}
