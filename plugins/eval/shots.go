package eval

import (
	"fmt"
	"slices"
	"strings"

	"github.com/llmflow/llmflow/model"
)

// shot is one worked example shown before a prompt: its rendered prompt and
// reference answer.
type shot struct{ prompt, answer string }

// shotPool is the set k-shot examples are drawn from.
type shotPool struct {
	shots  []shot
	byText map[string][]int // rendered prompt -> indices, to exclude the example itself
}

func newShotPool(set *exampleSet, t *Template, reference string) (*shotPool, error) {
	p := &shotPool{byText: map[string][]int{}}
	for i := range set.rows {
		prompt, err := set.render(t, i)
		if err != nil {
			return nil, err
		}
		answer, err := set.value(i, reference)
		if err != nil {
			return nil, err
		}
		p.byText[prompt] = append(p.byText[prompt], len(p.shots))
		p.shots = append(p.shots, shot{prompt, answer})
	}
	return p, nil
}

// draw returns k distinct shots for the example whose rendered prompt is
// prompt and whose index is i, never one with the same prompt text (so the
// example never shows its own answer, whichever dataset the shots come
// from). The draw depends only on seed, i and the pool.
func (p *shotPool) draw(k int, prompt string, i int, seed int64) ([]shot, error) {
	if k == 0 {
		return nil, nil
	}
	excluded := p.byText[prompt]
	if len(p.shots)-len(excluded) < k {
		return nil, fmt.Errorf("eval: shots = %d, but the shots pool holds only %d examples other than the prompt", k, len(p.shots)-len(excluded))
	}
	// Golden-ratio stride keeps the per-example streams apart.
	r := model.NewRNG(uint64(seed) + uint64(i+1)*0x9E3779B97F4A7C15)
	chosen := make([]int, 0, k)
	for len(chosen) < k {
		j := r.Intn(len(p.shots))
		if slices.Contains(excluded, j) || slices.Contains(chosen, j) {
			continue
		}
		chosen = append(chosen, j)
	}
	out := make([]shot, k)
	for n, j := range chosen {
		out[n] = p.shots[j]
	}
	return out, nil
}

// fewShotText is the plain-text prompt: each shot's prompt, the target
// delimiter and its answer, then the prompt, joined by sep.
func fewShotText(shots []shot, prompt, delim, sep string) string {
	var b strings.Builder
	for _, s := range shots {
		b.WriteString(s.prompt)
		b.WriteString(delim)
		b.WriteString(s.answer)
		b.WriteString(sep)
	}
	b.WriteString(prompt)
	return b.String()
}
