package clean

import (
	"strings"
	"unicode/utf8"
)

// c4 applies the C4 rules (Raffel et al. 2020, as in datatrove's
// C4QualityFilter) to the analysed lines of text. It returns the text made
// of the kept lines; changed is false when every line survived untouched, in
// which case text is returned as it was, paragraph breaks included. When
// lines go, the kept ones are joined by "\n", with a blank line where a
// paragraph break separated them.
func (c *Cleaner) c4(text string) (out string, changed bool, reason Reason) {
	cfg := &c.cfg
	st := &c.stats
	c.c4buf = reserve(c.c4buf, len(text)) // the kept lines fit in the text
	sentences := 0
	lastPara := int32(-1)
	for _, li := range c.lines {
		st.LinesSeen++
		line := text[li.start:li.end]
		if cfg.C4MaxWordLength > 0 && int(li.maxWord) > cfg.C4MaxWordLength {
			st.LinesDropped[LineTooLongWord]++
			changed = true
			continue
		}
		terminal := li.terminal
		if cfg.C4RemoveCitations && strings.IndexByte(line, '[') >= 0 {
			var n int
			c.c4line, n = removeCitations(reserve(c.c4line, len(line)), line)
			if n > 0 {
				st.CitationsRemoved += int64(n)
				line = bytesString(c.c4line)
				terminal = endsWithTerminal(line)
				changed = true
			}
		}
		if cfg.C4TerminalPunct && !terminal {
			// A line holding a whole document's sentences (text whose
			// paragraphs lost their breaks) is not boilerplate: cut only
			// its unterminated tail.
			k := -1
			if int(li.sentences) >= max(cfg.C4MinSentences, 2) {
				k = lastSentenceEnd(line)
			}
			if k <= 0 {
				st.LinesDropped[LineNoTerminalPunct]++
				changed = true
				continue
			}
			line = line[:k]
			changed = true
		}
		if cfg.C4MinWordsPerLine > 0 && int(li.words) < cfg.C4MinWordsPerLine {
			st.LinesDropped[LineTooFewWords]++
			changed = true
			continue
		}
		lorem, js, policy := scanKeywords(line)
		if cfg.C4LoremIpsum && lorem {
			return "", false, ReasonLoremIpsum
		}
		if cfg.C4Javascript && js {
			st.LinesDropped[LineJavascript]++
			changed = true
			continue
		}
		if cfg.C4CurlyBracket && strings.IndexByte(line, '{') >= 0 {
			return "", false, ReasonCurlyBracket
		}
		if cfg.C4Policy && policy {
			st.LinesDropped[LinePolicy]++
			changed = true
			continue
		}
		sentences += max(1, int(li.sentences))
		if len(c.c4buf) > 0 {
			c.c4buf = append(c.c4buf, '\n')
			if li.para != lastPara {
				c.c4buf = append(c.c4buf, '\n')
			}
		}
		lastPara = li.para
		c.c4buf = append(c.c4buf, line...)
	}
	if cfg.C4MinSentences > 0 && sentences < cfg.C4MinSentences {
		return "", false, ReasonTooFewSentences
	}
	if !changed {
		return text, false, Keep
	}
	return bytesString(c.c4buf), true, Keep
}

// lastSentenceEnd returns the length of line up to its last sentence end,
// or 0 when it has none: a mark endsWithTerminal accepts before a space,
// or a fullwidth sentence mark (or "……") anywhere, as Chinese puts no
// space after one.
func lastSentenceEnd(line string) int {
	for i := len(line) - 1; i > 0; i-- {
		if line[i] == ' ' {
			if head := strings.TrimRight(line[:i], " "); endsWithTerminal(head) {
				return len(head)
			}
			continue
		}
		if line[i] < utf8.RuneSelf || !utf8.RuneStart(line[i]) {
			continue
		}
		r, n := utf8.DecodeRuneInString(line[i:])
		if cjkSentenceMark(r) || (r == '…' && strings.HasSuffix(line[:i], "…")) {
			return i + n
		}
	}
	return 0
}

// removeCitations appends line to dst without Wikipedia-style citation
// marks "[12]", "[]", "[edit]" and "[citation needed]" and returns how many
// it removed.
func removeCitations(dst []byte, line string) ([]byte, int) {
	n := 0
	for i := 0; i < len(line); {
		j := strings.IndexByte(line[i:], '[')
		if j < 0 {
			dst = append(dst, line[i:]...)
			break
		}
		j += i
		dst = append(dst, line[i:j]...)
		if k := citationLen(line[j:]); k > 0 {
			n++
			i = j + k
			continue
		}
		dst = append(dst, '[')
		i = j + 1
	}
	return dst, n
}

// citationLen returns the length of the citation mark at s[0] == '[', or 0.
func citationLen(s string) int {
	if strings.HasPrefix(s, "[edit]") {
		return 6
	}
	if strings.HasPrefix(s, "[citation needed]") {
		return 17
	}
	k := 1
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k < len(s) && s[k] == ']' {
		return k + 1
	}
	return 0
}

// scanKeywords looks for the C4 phrases, ignoring ASCII case: "lorem
// ipsum" (drops the document), "javascript" (drops the line) and the cookie
// and terms-of-use phrases (drop the line). Each phrase is found through one
// of its rarer letters (j, p, k, v, f), located with the vectorised
// strings.IndexByte in both cases and confirmed in full.
func scanKeywords(line string) (lorem, js, policy bool) {
	js = atLetter(line, 'j', kwJ)
	lorem = atLetter(line, 'p', kwP)
	policy = atLetter(line, 'k', kwK) || atLetter(line, 'v', kwV) || atLetter(line, 'f', kwF)
	return
}

// keyword is a phrase and the offset of its anchor letter within it.
type keyword struct {
	off    int
	phrase string
}

var (
	kwJ = []keyword{{0, "javascript"}}
	kwP = []keyword{{7, "lorem ipsum"}}
	kwK = []keyword{{3, "cookie policy"}, {8, "uses cookies"}, {10, "use of cookies"}, {7, "use cookies"}}
	kwV = []keyword{{3, "privacy policy"}}
	kwF = []keyword{{7, "terms of use"}}
)

// atLetter reports whether one of kws occurs in line (ignoring ASCII case)
// around an occurrence of the lower-case letter c or its upper case.
func atLetter(line string, c byte, kws []keyword) bool {
	for _, b := range [2]byte{c, c - ('a' - 'A')} {
		for from := 0; ; {
			k := strings.IndexByte(line[from:], b)
			if k < 0 {
				break
			}
			p := from + k
			for _, w := range kws {
				if p >= w.off && hasPrefixFold(line[p-w.off:], w.phrase) {
					return true
				}
			}
			from = p + 1
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with the lower-case ASCII prefix p,
// ignoring the case of s.
func hasPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		b := s[i]
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		if b != p[i] {
			return false
		}
	}
	return true
}
