package clean

import "strings"

// c4 applies the C4 rules (Raffel et al. 2020, as in datatrove's
// C4QualityFilter) to the analysed lines of text. It returns the text made
// of the kept lines; changed is false when every line survived untouched, in
// which case text is returned as it was, paragraph breaks included. When
// lines go, the kept ones are joined by "\n", with a blank line where a
// paragraph break separated them.
func (c *Cleaner) c4(text string) (out string, changed bool, reason Reason) {
	cfg := &c.cfg
	st := &c.stats
	c.c4buf = c.c4buf[:0]
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
			c.c4line, n = removeCitations(c.c4line[:0], line)
			if n > 0 {
				st.CitationsRemoved += int64(n)
				line = bytesString(c.c4line)
				terminal = endsWithTerminal(line)
				changed = true
			}
		}
		if cfg.C4TerminalPunct && !terminal {
			st.LinesDropped[LineNoTerminalPunct]++
			changed = true
			continue
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

// scanKeywords looks for the C4 phrases in one pass, ignoring ASCII case:
// "lorem ipsum" (drops the document), "javascript" (drops the line) and the
// cookie and terms-of-use phrases (drop the line).
func scanKeywords(line string) (lorem, js, policy bool) {
	for i := 0; i+1 < len(line); i++ {
		// A two-byte table test rejects almost every position before any
		// phrase comparison.
		if !kwStart[line[i]] || !kwSecond[line[i+1]] {
			continue
		}
		switch line[i] | 0x20 {
		case 'l':
			lorem = lorem || hasPrefixFold(line[i:], "lorem ipsum")
		case 'j':
			js = js || hasPrefixFold(line[i:], "javascript")
		case 't':
			policy = policy || hasPrefixFold(line[i:], "terms of use")
		case 'p':
			policy = policy || hasPrefixFold(line[i:], "privacy policy")
		case 'c':
			policy = policy || hasPrefixFold(line[i:], "cookie policy")
		case 'u':
			policy = policy || hasPrefixFold(line[i:], "uses cookies") ||
				hasPrefixFold(line[i:], "use of cookies") || hasPrefixFold(line[i:], "use cookies")
		}
	}
	return
}

// kwStart and kwSecond hold the first and second letters of the C4 phrases
// in both cases.
var kwStart, kwSecond = func() (a, b [256]bool) {
	for _, p := range []string{"lorem ipsum", "javascript", "terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies"} {
		a[p[0]], a[p[0]-32] = true, true
		b[p[1]], b[p[1]-32] = true, true
	}
	return
}()

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
