package eval

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// ExamplesDir is the Arrow dataset of per-example results inside the report
// artifact, next to report.json.
const ExamplesDir = "examples"

// PromptReport is the prompting summary in report.json.
type PromptReport struct {
	Examples int             `json:"examples"`
	Shots    int             `json:"shots"`
	Rates    map[string]Rate `json:"rates,omitempty"` // by scorer
	// Mean loss (nats) per reference token given the prompt.
	ResponseLoss       *float64 `json:"response_loss,omitempty"`
	ResponsePerplexity *float64 `json:"response_perplexity,omitempty"`
	ResponseTokens     int64    `json:"response_tokens,omitempty"`
	// Reward is the reward model's score of the generated answers.
	Reward    *RewardSummary `json:"reward,omitempty"`
	Truncated int            `json:"truncated"` // examples cut to fit n_positions
	Details   string         `json:"details"`   // the per-example dataset, relative to report.json
}

// RewardSummary is the mean reward-model score of the answers, their
// spread and the 95% t interval of the mean.
type RewardSummary struct {
	Mean   float64  `json:"mean"`
	Std    float64  `json:"std"`
	MeanLo *float64 `json:"mean_lo,omitempty"` // absent for a single answer
	MeanHi *float64 `json:"mean_hi,omitempty"`
	N      int      `json:"n"`
}

// Rate is a proportion with its 95% Wilson interval.
type Rate struct {
	Value float64 `json:"value"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Hits  int     `json:"hits"`
	N     int     `json:"n"`
}

// summarize fills the report and reports each figure as a metric: a rate
// as NAME, NAME_lo and NAME_hi, and the example count as n.
func (p *prompting) summarize(ev sdk.Events) *PromptReport {
	n := len(p.results)
	rep := &PromptReport{Examples: n, Shots: p.c.Shots, Rates: map[string]Rate{}, Details: ExamplesDir}
	ev.Metric(0, "n", float64(n))
	rate := func(name string, hit func(r *result) bool) {
		hits := 0
		for i := range p.results {
			if hit(&p.results[i]) {
				hits++
			}
		}
		lo, hi := Wilson(hits, n)
		r := Rate{Value: float64(hits) / float64(n), Lo: lo, Hi: hi, Hits: hits, N: n}
		rep.Rates[name] = r
		ev.Metric(0, name, r.Value)
		ev.Metric(0, name+"_lo", lo)
		ev.Metric(0, name+"_hi", hi)
	}
	if p.enabled(ScoreExactMatch) {
		rate(ScoreExactMatch, func(r *result) bool { return r.exact })
	}
	if p.enabled(ScoreContains) {
		rate(ScoreContains, func(r *result) bool { return r.contains })
	}
	if p.enabled(ScoreMultipleChoice) {
		rate(ScoreMultipleChoice, func(r *result) bool { return r.choice == r.label })
	}
	if p.enabled(ScoreResponseLoss) {
		var lp float64
		for _, r := range p.results {
			lp += r.respLogProb
			rep.ResponseTokens += int64(r.respTokens)
		}
		if rep.ResponseTokens > 0 {
			loss := -lp / float64(rep.ResponseTokens)
			ppl := math.Exp(loss)
			rep.ResponseLoss, rep.ResponsePerplexity = &loss, &ppl
			ev.Metric(0, ScoreResponseLoss, loss)
			ev.Metric(0, "response_perplexity", ppl)
		}
	}
	if p.reward != nil {
		xs := make([]float64, n)
		for i, r := range p.results {
			xs[i] = r.reward
		}
		mean, std, lo, hi := MeanInterval(xs)
		rep.Reward = &RewardSummary{Mean: mean, Std: std, N: n}
		ev.Metric(0, "reward_mean", mean)
		ev.Metric(0, "reward_std", std)
		if n > 1 {
			rep.Reward.MeanLo, rep.Reward.MeanHi = &lo, &hi
			ev.Metric(0, "reward_mean_lo", lo)
			ev.Metric(0, "reward_mean_hi", hi)
		}
	}
	for _, r := range p.results {
		if r.truncated {
			rep.Truncated++
		}
	}
	return rep
}

// examplesSchema has a column per result the enabled scorers produce.
func (p *prompting) examplesSchema() *arrow.Schema {
	str := func(name string) arrow.Field { return arrow.Field{Name: name, Type: arrow.BinaryTypes.String} }
	fields := []arrow.Field{
		{Name: "index", Type: arrow.PrimitiveTypes.Int64}, str(artifact.ColID), str(artifact.ColPrompt), str("reference"),
		{Name: "truncated", Type: arrow.FixedWidthTypes.Boolean},
	}
	if p.generates() {
		fields = append(fields, str("generation"), str("answer"), str("reference_answer"))
	}
	if p.enabled(ScoreExactMatch) {
		fields = append(fields, arrow.Field{Name: ScoreExactMatch, Type: arrow.FixedWidthTypes.Boolean})
	}
	if p.enabled(ScoreContains) {
		fields = append(fields, arrow.Field{Name: ScoreContains, Type: arrow.FixedWidthTypes.Boolean})
	}
	if p.enabled(ScoreMultipleChoice) {
		fields = append(fields,
			arrow.Field{Name: "choices", Type: arrow.ListOf(arrow.BinaryTypes.String)},
			arrow.Field{Name: "choice_logprobs", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
			arrow.Field{Name: "choice", Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: "label", Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: ScoreMultipleChoice, Type: arrow.FixedWidthTypes.Boolean})
	}
	if p.enabled(ScoreResponseLoss) {
		fields = append(fields,
			arrow.Field{Name: ScoreResponseLoss, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			arrow.Field{Name: "response_tokens", Type: arrow.PrimitiveTypes.Int64})
	}
	if p.reward != nil {
		fields = append(fields, arrow.Field{Name: "reward", Type: arrow.PrimitiveTypes.Float64})
	}
	return arrow.NewSchema(fields, nil)
}

// writeExamples writes one row per example to the Arrow dataset in dir.
func (p *prompting) writeExamples(dir string) error {
	schema := p.examplesSchema()
	w, err := artifact.NewRecordWriter(dir, schema)
	if err != nil {
		return err
	}
	b := w.Builder()
	for i := range p.results {
		r := &p.results[i]
		col := 0
		next := func() array.Builder { col++; return b.Field(col - 1) }
		str := func(s string) { next().(*array.StringBuilder).Append(s) }
		boolean := func(v bool) { next().(*array.BooleanBuilder).Append(v) }
		integer := func(v int) { next().(*array.Int64Builder).Append(int64(v)) }
		integer(i)
		str(p.set.rows[i].id)
		str(r.prompt)
		str(r.reference)
		boolean(r.truncated)
		if p.generates() {
			str(r.generation)
			str(r.answer)
			str(r.refAnswer)
		}
		if p.enabled(ScoreExactMatch) {
			boolean(r.exact)
		}
		if p.enabled(ScoreContains) {
			boolean(r.contains)
		}
		if p.enabled(ScoreMultipleChoice) {
			lb := next().(*array.ListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.StringBuilder).AppendValues(r.choices, nil)
			fb := next().(*array.ListBuilder)
			fb.Append(true)
			fb.ValueBuilder().(*array.Float64Builder).AppendValues(r.choiceLogProbs, nil)
			integer(r.choice)
			integer(r.label)
			boolean(r.choice == r.label)
		}
		if p.enabled(ScoreResponseLoss) {
			if fb := next().(*array.Float64Builder); r.respTokens > 0 {
				fb.Append(-r.respLogProb / float64(r.respTokens))
			} else {
				fb.AppendNull()
			}
			integer(r.respTokens)
		}
		if p.reward != nil {
			next().(*array.Float64Builder).Append(r.reward)
		}
		if err := w.RowDone(len(r.prompt) + len(r.generation) + len(r.reference)); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}
