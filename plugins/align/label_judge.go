package align

import (
	"fmt"
	"strings"

	"github.com/llmflow/llmflow/dataprep/chat"
)

// judgeScorer asks a chat checkpoint, through a template, whether an
// answer is good, and scores it log p(yes) − log p(no): the log-odds of
// its verdict, as RLAIF's AI feedback does with a preference question.
type judgeScorer struct {
	p        *Policy
	template string
	yes, no  []int32
}

func loadJudgeScorer(dir string, cfg LabelConfig) (*judgeScorer, error) {
	p, err := LoadPolicy(dir, "")
	if err != nil {
		return nil, fmt.Errorf("judge: %w", err)
	}
	j := &judgeScorer{p: p, template: cfg.JudgeTemplate,
		yes: p.Tokenizer.Encode([]byte(cfg.JudgeYes)), no: p.Tokenizer.Encode([]byte(cfg.JudgeNo))}
	if len(j.yes) == 0 || len(j.no) == 0 {
		return nil, fmt.Errorf("judge: judge_yes and judge_no must each encode to at least one token")
	}
	if n := max(len(j.yes), len(j.no)); n >= p.Model.Config.NPositions/2 {
		return nil, fmt.Errorf("judge: a verdict of %d tokens leaves too little of the context (%d) for the question", n, p.Model.Config.NPositions)
	}
	return j, nil
}

// checkJudgeTemplate requires {prompt} and {response} once each.
func checkJudgeTemplate(t string) error {
	for _, ph := range []string{"{prompt}", "{response}"} {
		if n := strings.Count(t, ph); n != 1 {
			return fmt.Errorf("judge_template holds %s %d times; it needs it once", ph, n)
		}
	}
	return nil
}

// promptText is a prompt conversation as the judge reads it: the request
// alone for one user turn, else every turn after its role's name.
func promptText(conv []chat.Message) string {
	if len(conv) == 1 {
		return conv[0].Content
	}
	var b strings.Builder
	for i, m := range conv {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(strings.ToUpper(m.Role[:1]) + m.Role[1:] + ": " + m.Content)
	}
	return b.String()
}

// Score implements scorer. A question too long for the context keeps its
// last tokens, next to the verdict.
func (j *judgeScorer) Score(items []scoreItem, batch int) ([]float64, error) {
	P := j.p.Model.Config.NPositions
	seqs := make([]Sequence, 0, 2*len(items))
	for i, it := range items {
		q := strings.NewReplacer("{prompt}", promptText(it.Prompt), "{response}", it.Answer).Replace(j.template)
		ctx, _, err := j.p.Encoder.Encode([]chat.Message{{Role: chat.RoleUser, Content: q}}, chat.Options{Generate: true})
		if err != nil {
			return nil, fmt.Errorf("answer %d: %v", i, err)
		}
		for _, v := range [][]int32{j.yes, j.no} {
			c := ctx[max(0, len(ctx)-(P-len(v))):]
			s := Sequence{IDs: append(append(make([]int32, 0, len(c)+len(v)), c...), v...), Mask: make([]uint8, len(c)+len(v))}
			for k := len(c); k < len(s.Mask); k++ {
				s.Mask[k] = 1
			}
			seqs = append(seqs, s)
		}
	}
	lp, err := SequenceLogProbs(j.p.Model, seqs, batch)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(items))
	for i := range out {
		out[i] = lp.Sum[2*i] - lp.Sum[2*i+1]
	}
	return out, nil
}
