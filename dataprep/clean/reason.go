package clean

// Reason says why a document was dropped. The zero value Keep means kept.
type Reason uint8

// Drop reasons, one per rule. Names follow datatrove's where it has one.
const (
	Keep Reason = iota
	ReasonEmpty

	ReasonDupParaFrac
	ReasonDupParaCharFrac
	ReasonDupLineFrac
	ReasonDupLineCharFrac
	ReasonTop2Gram
	ReasonTop3Gram
	ReasonTop4Gram
	ReasonDup5Gram
	ReasonDup6Gram
	ReasonDup7Gram
	ReasonDup8Gram
	ReasonDup9Gram
	ReasonDup10Gram

	ReasonShortDoc
	ReasonLongDoc
	ReasonBelowAvgWordLen
	ReasonAboveAvgWordLen
	ReasonTooManyHashes
	ReasonTooManyEllipsis
	ReasonTooManyBullets
	ReasonTooManyEndEllipsis
	ReasonBelowAlpha
	ReasonFewStopWords

	ReasonLoremIpsum
	ReasonCurlyBracket
	ReasonTooFewSentences

	ReasonLinePunct
	ReasonShortLines
	ReasonCharDup
	ReasonListRatio

	numReasons
)

var reasonNames = [numReasons]string{
	Keep:        "keep",
	ReasonEmpty: "empty",

	ReasonDupParaFrac:     "dup_para_frac",
	ReasonDupParaCharFrac: "dup_para_char_frac",
	ReasonDupLineFrac:     "dup_line_frac",
	ReasonDupLineCharFrac: "dup_line_char_frac",
	ReasonTop2Gram:        "top_2_gram",
	ReasonTop3Gram:        "top_3_gram",
	ReasonTop4Gram:        "top_4_gram",
	ReasonDup5Gram:        "duplicated_5_n_grams",
	ReasonDup6Gram:        "duplicated_6_n_grams",
	ReasonDup7Gram:        "duplicated_7_n_grams",
	ReasonDup8Gram:        "duplicated_8_n_grams",
	ReasonDup9Gram:        "duplicated_9_n_grams",
	ReasonDup10Gram:       "duplicated_10_n_grams",

	ReasonShortDoc:           "gopher_short_doc",
	ReasonLongDoc:            "gopher_long_doc",
	ReasonBelowAvgWordLen:    "gopher_below_avg_threshold",
	ReasonAboveAvgWordLen:    "gopher_above_avg_threshold",
	ReasonTooManyHashes:      "gopher_too_many_hashes",
	ReasonTooManyEllipsis:    "gopher_too_many_ellipsis",
	ReasonTooManyBullets:     "gopher_too_many_bullets",
	ReasonTooManyEndEllipsis: "gopher_too_many_end_ellipsis",
	ReasonBelowAlpha:         "gopher_below_alpha_threshold",
	ReasonFewStopWords:       "gopher_few_stop_words",

	ReasonLoremIpsum:      "c4_lorem_ipsum",
	ReasonCurlyBracket:    "c4_curly_bracket",
	ReasonTooFewSentences: "c4_too_few_sentences",

	ReasonLinePunct:  "fineweb_line_punct_ratio",
	ReasonShortLines: "fineweb_short_line_ratio",
	ReasonCharDup:    "fineweb_char_dup_ratio",
	ReasonListRatio:  "fineweb_list_ratio",
}

// String returns the reason's stable name, as written to the rejects
// output and to metrics.
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "unknown"
}

// Reasons lists every drop reason in a fixed order (Keep excluded).
func Reasons() []Reason {
	rs := make([]Reason, 0, numReasons-1)
	for r := ReasonEmpty; r < numReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}

// LineReason says why the C4 rules dropped a line.
type LineReason uint8

// C4 line drop reasons.
const (
	LineTooLongWord LineReason = iota
	LineNoTerminalPunct
	LineTooFewWords
	LineJavascript
	LinePolicy
	numLineReasons
)

var lineReasonNames = [numLineReasons]string{
	LineTooLongWord:     "too_long_word",
	LineNoTerminalPunct: "no_terminal_punct",
	LineTooFewWords:     "too_few_words",
	LineJavascript:      "javascript",
	LinePolicy:          "policy",
}

// String returns the line reason's stable name.
func (r LineReason) String() string {
	if r < numLineReasons {
		return lineReasonNames[r]
	}
	return "unknown"
}
