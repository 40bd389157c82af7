package tokenize

import (
	"slices"

	"github.com/llmflow/llmflow/dataprep/textutil"
)

// Languages reported in Stats, as textutil.DetectLang names them.
var languages = []textutil.Lang{textutil.LangEN, textutil.LangZH, textutil.LangOther}

// Stats counts what Run read and wrote.
type Stats struct {
	Docs      int64 // input rows
	EmptyDocs int64 // rows with no text, skipped
	TrainDocs int64
	ValDocs   int64
	Bytes     int64 // text bytes of the non-empty documents
	// Tokens counts document tokens, end-of-text tokens excluded.
	Tokens int64
	// TrainRows/ValRows and TrainTokens/ValTokens describe the written rows
	// (overlap tokens counted in both rows they belong to).
	TrainRows, ValRows     int64
	TrainTokens, ValTokens int64
	// DroppedTokens were in final short rows removed by DropLast.
	DroppedTokens int64
	// MaxDocTokens and the percentiles describe tokens per document.
	MaxDocTokens               int64
	DocTokensP50, DocTokensP90 int64
	DocTokensP99               int64
	// LangBytes and LangTokens split Bytes and Tokens by detected language
	// ("en", "zh", "other").
	LangBytes, LangTokens map[string]int64
	// VocabUsed is the number of distinct ids in the output; VocabSize the
	// tokenizer's size.
	VocabUsed, VocabSize int64
}

// Metrics flattens the counters for the run store: counts, tokens per
// document, bytes per token per language, and the share of the vocabulary
// used.
func (s Stats) Metrics() map[string]float64 {
	m := map[string]float64{
		"docs":            float64(s.Docs),
		"empty_docs":      float64(s.EmptyDocs),
		"train_docs":      float64(s.TrainDocs),
		"val_docs":        float64(s.ValDocs),
		"bytes":           float64(s.Bytes),
		"tokens":          float64(s.Tokens),
		"train_rows":      float64(s.TrainRows),
		"val_rows":        float64(s.ValRows),
		"train_tokens":    float64(s.TrainTokens),
		"val_tokens":      float64(s.ValTokens),
		"dropped_tokens":  float64(s.DroppedTokens),
		"doc_tokens_max":  float64(s.MaxDocTokens),
		"doc_tokens_p50":  float64(s.DocTokensP50),
		"doc_tokens_p90":  float64(s.DocTokensP90),
		"doc_tokens_p99":  float64(s.DocTokensP99),
		"vocab_used":      float64(s.VocabUsed),
		"vocab_use":       ratio(s.VocabUsed, s.VocabSize),
		"bytes_per_token": ratio(s.Bytes, s.Tokens),
		"doc_tokens_mean": ratio(s.Tokens, s.Docs-s.EmptyDocs),
	}
	for _, l := range languages {
		name := l.String()
		if s.LangTokens[name] > 0 {
			m["bytes_per_token."+name] = ratio(s.LangBytes[name], s.LangTokens[name])
			m["tokens."+name] = float64(s.LangTokens[name])
		}
	}
	return m
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// percentiles fills the tokens-per-document percentiles (nearest rank).
func (s *Stats) percentiles(perDoc []int64) {
	if len(perDoc) == 0 {
		return
	}
	slices.Sort(perDoc)
	at := func(q float64) int64 { return perDoc[min(len(perDoc)-1, int(q*float64(len(perDoc))))] }
	s.DocTokensP50, s.DocTokensP90, s.DocTokensP99 = at(0.5), at(0.9), at(0.99)
	s.MaxDocTokens = perDoc[len(perDoc)-1]
}
