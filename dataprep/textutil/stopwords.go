package textutil

import "unicode/utf8"

// English stop words of the Gopher quality rules (Rae et al. 2021, "Scaling
// Language Models", appendix A): a document needs at least two of them.
var stopEN = []string{"the", "be", "to", "of", "and", "that", "have", "with"}

// Chinese stop words are single characters because the tokenizer makes
// every Han character a word. The list mixes modern function words (的 了
// 是) with classical ones (之 也 乃 矣) so that both vernacular and literary
// text pass the stop word rule while character soup, menus and keyword spam
// do not.
var stopZH = []string{
	"的", "了", "是", "在", "不", "和", "有", "我", "他", "她", "它", "你", "这", "那",
	"也", "就", "都", "而", "与", "及", "着", "们", "把", "被", "吗", "呢", "吧", "啊",
	"之", "其", "乃", "者", "矣", "焉", "乎", "哉", "于", "所", "以", "为",
}

// stopZHBits is a bitmap over the BMP: one load per lookup, no hashing.
var stopZHBits = func() (b [1 << 10]uint64) {
	for _, w := range stopZH {
		r, _ := utf8.DecodeRuneInString(w)
		b[r>>6] |= 1 << (r & 63)
	}
	return b
}()

// IsStopRuneZH reports whether r is a Chinese stop character.
func IsStopRuneZH(r rune) bool {
	return r >= 0 && r < 1<<16 && stopZHBits[r>>6]&(1<<(r&63)) != 0
}

// StopWords returns the stop word list of a language (nil for LangOther).
// The caller must not modify the returned slice.
func StopWords(l Lang) []string {
	switch l {
	case LangEN:
		return stopEN
	case LangZH:
		return stopZH
	}
	return nil
}

// IsStopWord reports whether word w is a stop word of language l. English
// matching ignores ASCII case ("The" counts) without allocating.
func IsStopWord(l Lang, w string) bool {
	switch l {
	case LangEN:
		return isStopEN(w)
	case LangZH:
		if len(w) < 3 || len(w) > 4 {
			return false
		}
		r, n := utf8.DecodeRuneInString(w)
		return n == len(w) && IsStopRuneZH(r)
	}
	return false
}

// IsStopWordEN is IsStopWord(LangEN, w) without the language switch, for
// hot loops.
func IsStopWordEN(w string) bool { return isStopEN(w) }

func isStopEN(w string) bool {
	if len(w) < 2 || len(w) > 4 {
		return false
	}
	// Fold ASCII into a small array; non-ASCII bytes cannot match.
	var b [4]byte
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b[:len(w)]) {
	case "the", "be", "to", "of", "and", "that", "have", "with":
		return true
	}
	return false
}
