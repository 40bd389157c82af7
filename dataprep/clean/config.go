package clean

import "fmt"

// Normalisation forms accepted by Config.Normalization.
const (
	NormNFC  = "nfc"
	NormNFKC = "nfkc"
	NormNone = "none"
)

// Config selects and tunes every step. Fields carry hcl tags so that
// gohcl.DecodeBody fills a pipeline `clean` block or an `llmflow prep
// --config` file; attributes left out keep the value they had, so decode
// into DefaultConfig(). A ratio or count of 0 switches its rule off, as in
// datatrove.
type Config struct {
	// Field is the column (Arrow) or key (JSONL) holding the text, named
	// "field" like the dedup and pii blocks.
	Field string `hcl:"field,optional"`
	// LanguageColumn names the added zh/en/other column; "" adds none.
	LanguageColumn string `hcl:"language_column,optional"`
	// Workers is the number of parallel workers; 0 means GOMAXPROCS.
	Workers int `hcl:"workers,optional" json:"-"` // not part of a cache key: the output does not depend on it
	// MaxDropFraction, when set, fails a run that drops more than this
	// share of its documents; unset, more than DefaultMaxDropFraction only
	// warns (see CheckDrops).
	MaxDropFraction *float64 `hcl:"max_drop_fraction,optional" json:",omitempty"` // omitted unset, so earlier cache keys hold

	// Normalization is "nfc" (default), "nfkc" or "none".
	Normalization string `hcl:"normalization,optional"`
	// StripHTML removes tags, comments, script and style elements and
	// decodes common entities.
	StripHTML bool `hcl:"strip_html,optional"`
	// RemoveInvisible drops control, zero-width, bidi and other invisible
	// format characters (ZWJ and ZWNJ stay: emoji and Indic/Persian words
	// need them).
	RemoveInvisible bool `hcl:"remove_invisible,optional"`
	// NormalizeWhitespace collapses runs of spaces (including NBSP and the
	// ideographic space) to one, trims every line, maps CR, CRLF, NEL and
	// the Unicode line/paragraph separators to "\n" and keeps at most one
	// blank line between paragraphs.
	NormalizeWhitespace bool `hcl:"normalize_whitespace,optional"`

	// GopherQuality switches the Gopher quality rules.
	GopherQuality      bool    `hcl:"gopher_quality,optional"`
	MinWords           int     `hcl:"min_words,optional"`
	MaxWords           int     `hcl:"max_words,optional"`
	MinMeanWordLength  float64 `hcl:"min_mean_word_length,optional"`
	MaxMeanWordLength  float64 `hcl:"max_mean_word_length,optional"`
	MaxSymbolWordRatio float64 `hcl:"max_symbol_word_ratio,optional"`
	MaxBulletLines     float64 `hcl:"max_bullet_lines_ratio,optional"`
	MaxEllipsisLines   float64 `hcl:"max_ellipsis_lines_ratio,optional"`
	MinAlphaWords      float64 `hcl:"min_alpha_words_ratio,optional"`
	MinStopWords       int     `hcl:"min_stop_words,optional"`

	// GopherRepetition switches the Gopher repetition rules.
	GopherRepetition   bool    `hcl:"gopher_repetition,optional"`
	MaxDupLineFrac     float64 `hcl:"dup_line_frac,optional"`
	MaxDupParaFrac     float64 `hcl:"dup_para_frac,optional"`
	MaxDupLineCharFrac float64 `hcl:"dup_line_char_frac,optional"`
	MaxDupParaCharFrac float64 `hcl:"dup_para_char_frac,optional"`
	// TopNgramFracs are the limits for the most frequent 2-, 3- and 4-gram.
	TopNgramFracs []float64 `hcl:"top_ngram_fracs,optional"`
	// DupNgramFracs are the limits for duplicated 5- to 10-grams.
	DupNgramFracs []float64 `hcl:"dup_ngram_fracs,optional"`

	// C4 switches the C4 rules: line filters that rewrite the document and
	// document rules (lorem ipsum, curly bracket, too few sentences).
	C4                bool `hcl:"c4,optional"`
	C4TerminalPunct   bool `hcl:"c4_terminal_punct,optional"`
	C4MinWordsPerLine int  `hcl:"c4_min_words_per_line,optional"`
	C4MaxWordLength   int  `hcl:"c4_max_word_length,optional"`
	C4MinSentences    int  `hcl:"c4_min_sentences,optional"`
	C4RemoveCitations bool `hcl:"c4_remove_citations,optional"`
	C4LoremIpsum      bool `hcl:"c4_lorem_ipsum,optional"`
	C4Javascript      bool `hcl:"c4_javascript,optional"`
	C4CurlyBracket    bool `hcl:"c4_curly_bracket,optional"`
	C4Policy          bool `hcl:"c4_policy,optional"`

	// FineWeb switches the FineWeb rules.
	FineWeb          bool    `hcl:"fineweb,optional"`
	FWLinePunct      float64 `hcl:"fineweb_line_punct_ratio,optional"`
	FWShortLineRatio float64 `hcl:"fineweb_short_line_ratio,optional"`
	FWShortLineChars int     `hcl:"fineweb_short_line_length,optional"`
	FWCharDupRatio   float64 `hcl:"fineweb_char_dup_ratio,optional"`
	FWNewlineRatio   float64 `hcl:"fineweb_newline_ratio,optional"`
}

// DefaultConfig returns the documented defaults: NFC, invisible-character
// removal and whitespace normalisation on, HTML stripping off, and every
// rule group on with the thresholds of Gopher (Rae et al. 2021, table A1),
// C4 (Raffel et al. 2020) and FineWeb (Penedo et al. 2024) as datatrove sets
// them.
func DefaultConfig() Config {
	return Config{
		Field:               "text",
		LanguageColumn:      "language",
		Normalization:       NormNFC,
		RemoveInvisible:     true,
		NormalizeWhitespace: true,

		GopherQuality:      true,
		MinWords:           50,
		MaxWords:           100000,
		MinMeanWordLength:  3,
		MaxMeanWordLength:  10,
		MaxSymbolWordRatio: 0.1,
		MaxBulletLines:     0.9,
		MaxEllipsisLines:   0.3,
		MinAlphaWords:      0.8,
		MinStopWords:       2,

		GopherRepetition:   true,
		MaxDupLineFrac:     0.3,
		MaxDupParaFrac:     0.3,
		MaxDupLineCharFrac: 0.2,
		MaxDupParaCharFrac: 0.2,
		TopNgramFracs:      []float64{0.20, 0.18, 0.16},
		DupNgramFracs:      []float64{0.15, 0.14, 0.13, 0.12, 0.11, 0.10},

		C4:                true,
		C4TerminalPunct:   true,
		C4MinWordsPerLine: 3,
		C4MaxWordLength:   1000,
		C4MinSentences:    5,
		C4RemoveCitations: true,
		C4LoremIpsum:      true,
		C4Javascript:      true,
		C4CurlyBracket:    true,
		C4Policy:          true,

		FineWeb:          true,
		FWLinePunct:      0.12,
		FWShortLineRatio: 0.67,
		FWShortLineChars: 30,
		FWCharDupRatio:   0.01,
		FWNewlineRatio:   0.3,
	}
}

// Validate reports the first invalid setting, naming its attribute.
func (c Config) Validate() error {
	switch c.Normalization {
	case NormNFC, NormNFKC, NormNone, "":
	default:
		return fmt.Errorf("normalization: %q is not one of \"nfc\", \"nfkc\", \"none\"", c.Normalization)
	}
	if len(c.TopNgramFracs) > 3 {
		return fmt.Errorf("top_ngram_fracs: %d values given, at most 3 (for 2-, 3- and 4-grams)", len(c.TopNgramFracs))
	}
	if len(c.DupNgramFracs) > 6 {
		return fmt.Errorf("dup_ngram_fracs: %d values given, at most 6 (for 5- to 10-grams)", len(c.DupNgramFracs))
	}
	if f := c.MaxDropFraction; f != nil && !(*f >= 0 && *f <= 1) {
		return fmt.Errorf("max_drop_fraction: %g is not between 0 and 1", *f)
	}
	if c.Workers < 0 {
		return fmt.Errorf("workers: %d is negative", c.Workers)
	}
	if c.MinWords < 0 || c.MaxWords < 0 || c.MinStopWords < 0 || c.C4MinWordsPerLine < 0 || c.C4MaxWordLength < 0 || c.C4MinSentences < 0 || c.FWShortLineChars < 0 {
		return fmt.Errorf("counts must not be negative")
	}
	return nil
}
