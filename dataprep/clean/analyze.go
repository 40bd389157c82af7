package clean

import (
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/llmflow/llmflow/dataprep/textutil"
)

// cjkWeight is how many Latin characters a Han or kana character counts for
// in length rules: one CJK character carries about the content of a short
// English word, which is three to five letters.
const cjkWeight = 3

// lineInfo describes one non-empty line.
type lineInfo struct {
	start, end int32 // byte range in the text
	runes      int32
	width      int32 // runes with CJK characters weighted by cjkWeight
	words      int32 // Word and CJK tokens
	tokens     int32 // all tokens, punctuation included
	maxWord    int32 // longest Word token in runes
	sentences  int32 // sentence ends seen
	hash       uint64
	bullet     bool // starts with a bullet mark
	ellipsis   bool // ends with "..." or "…"
	terminal   bool // ends with terminal punctuation
	heading    bool // a CJK chapter heading such as "第一回　..."
	para       int32
}

// paraInfo describes one paragraph (lines between blank lines).
type paraInfo struct {
	hash  uint64
	runes int32
}

// docInfo holds the document-level counters of one analysis.
type docInfo struct {
	runes      int // all runes, newlines included
	newlines   int // runs of "\n" (a blank line counts once)
	words      int // Word and CJK tokens
	cjkWords   int
	wordTokens int // Word tokens only
	wordRunes  int // runes in Word tokens
	alphaWords int
	stopWords  int
	tokens     int
	hashes     int
	ellipses   int
}

// analyze fills c.lines, c.paras, the word arrays and d for text.
func (c *Cleaner) analyze(text string, d *docInfo) {
	*d = docInfo{}
	c.lines, c.paras = c.lines[:0], c.paras[:0]
	// Size the word arrays from an estimate of the word count (a quarter
	// more than the spaces and newlines, for words split at punctuation,
	// and one per 3-byte CJK character), so that a long document does not
	// reallocate them as it goes; push still grows them if it falls short.
	words := (strings.Count(text, " ")+strings.Count(text, "\n"))*5/4 + (len(text)-runeCount(text, c.ascii))/2 + 16
	c.hashes = reserve(c.hashes, words)
	c.prefix = append(reserve(c.prefix, words+1), 0)
	c.cjk = reserve(c.cjk, words/64+1)
	para := int32(-1)
	newPara := true
	runes := 0 // of the whole text, summed line by line
	for start := 0; start <= len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
			d.newlines++
			if end > 0 && text[end-1] == '\n' {
				d.newlines-- // a run of newlines counts once
			}
		}
		line := text[start:end]
		if end < len(text) {
			runes++ // the newline
		}
		if isBlank(line) {
			newPara = true
			runes += len(line) // blank lines hold ASCII spaces only
		} else {
			if newPara {
				para++
				c.paras = push(c.paras, paraInfo{})
				newPara = false
			}
			li := c.analyzeLine(line, start, d)
			li.para = para
			runes += int(li.runes)
			p := &c.paras[para]
			if p.runes > 0 {
				p.runes++ // the joining newline
			}
			p.runes += li.runes
			p.hash = combine(p.hash, li.hash)
			c.lines = push(c.lines, li)
		}
		start = end + 1
	}
	d.runes = runes
}

func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '\t' && s[i] != '\r' {
			return false
		}
	}
	return true
}

// analyzeLine tokenises one line, appending its words to the word arrays.
func (c *Cleaner) analyzeLine(line string, off int, d *docInfo) lineInfo {
	li := lineInfo{start: int32(off), end: int32(off + len(line)), hash: hashString(line)}
	li.runes = int32(runeCount(line, c.ascii))
	li.width = li.runes
	tk := textutil.NewTokenizer(line)
	for {
		tok, ok := tk.Next()
		if !ok {
			break
		}
		li.tokens++
		w := line[tok.Start:tok.End]
		switch tok.Kind {
		case textutil.Word:
			li.words++
			d.wordTokens++
			d.wordRunes += tok.Runes
			if int32(tok.Runes) > li.maxWord {
				li.maxWord = int32(tok.Runes)
			}
			if tok.Alpha {
				d.alphaWords++
			}
			if len(w) <= 4 && textutil.IsStopWordEN(w) {
				d.stopWords++
			}
			c.addWord(hashSpan(line, tok.Start, tok.End), int32(tok.Runes), false)
		case textutil.CJK:
			li.words++
			li.width += cjkWeight - 1
			d.cjkWords++
			d.alphaWords++
			r := rune(0)
			if len(w) == 3 {
				r = rune(w[0]&0x0F)<<12 | rune(w[1]&0x3F)<<6 | rune(w[2]&0x3F)
			} else {
				r, _ = decodeRune(w, 0)
			}
			if textutil.IsStopRuneZH(r) {
				d.stopWords++
			}
			c.addWord(hashSpan(line, tok.Start, tok.End), 1, true)
		case textutil.Punct:
			h, e, s := scanPunct(w)
			d.hashes += h
			d.ellipses += e
			if s > 0 && (tok.End == len(line) || isSpaceByte(line[tok.End]) || cjkTerminalIn(w)) {
				li.sentences++
			}
		}
	}
	d.tokens += int(li.tokens)
	d.words += int(li.words)
	li.bullet = startsWithBullet(line)
	li.ellipsis = strings.HasSuffix(line, "...") || strings.HasSuffix(line, "…")
	li.terminal = endsWithTerminal(line)
	if !li.terminal && d.cjkWords > 0 && isCJKHeading(line) {
		// A heading is structure, not a sentence fragment: the C4 and
		// FineWeb punctuation rules let it through.
		li.heading, li.terminal = true, true
	}
	return li
}

// maxHeadingRunes bounds a chapter heading: "第一回" and a couplet title.
const maxHeadingRunes = 48

// isCJKHeading reports whether line is a Chinese chapter heading: "第",
// a number (Chinese or Arabic numerals), a unit (回 章 节 卷 部 篇 集 幕),
// then nothing or a space and a title without sentence punctuation.
func isCJKHeading(line string) bool {
	s := strings.TrimLeft(line, " \t\u3000")
	rest, ok := strings.CutPrefix(s, "第")
	if !ok || utf8.RuneCountInString(s) > maxHeadingRunes {
		return false
	}
	digits := 0
	for rest != "" {
		r, n := utf8.DecodeRuneInString(rest)
		if !strings.ContainsRune("零〇一二三四五六七八九十百千两0123456789０１２３４５６７８９", r) {
			break
		}
		rest, digits = rest[n:], digits+1
	}
	if digits == 0 {
		return false
	}
	r, n := utf8.DecodeRuneInString(rest)
	if !strings.ContainsRune("回章节卷部篇集幕", r) {
		return false
	}
	rest = rest[n:]
	if rest == "" {
		return true
	}
	if r, _ := utf8.DecodeRuneInString(rest); r != ' ' && r != '\u3000' {
		return false
	}
	return !strings.ContainsAny(rest, "。！？.!?")
}

// addWord appends a word to the word arrays.
func (c *Cleaner) addWord(hash uint64, runes int32, cjk bool) {
	i := len(c.hashes)
	c.hashes = push(c.hashes, hash)
	c.prefix = push(c.prefix, c.prefix[i]+runes)
	if i%64 == 0 {
		c.cjk = push(c.cjk, 0)
	}
	if cjk {
		c.cjk[i/64] |= 1 << (i % 64)
	}
}

// isCJK reports whether word i is a CJK token.
func (c *Cleaner) isCJK(i int) bool { return c.cjk[i/64]>>(i%64)&1 != 0 }

// push appends v to s, doubling the capacity when s is full. append grows
// large slices by only a quarter, which over a long document allocates
// about five times the final size.
func push[T any](s []T, v T) []T {
	if len(s) == cap(s) {
		t := make([]T, len(s), max(2*cap(s), 64))
		copy(t, s)
		s = t
	}
	return append(s, v)
}

// reserve returns s emptied, with room for n elements.
func reserve[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, 0, n)
	}
	return s[:0]
}

func isSpaceByte(b byte) bool { return b == ' ' || b == '\t' || b == '\r' }

// scanPunct counts '#' characters, ellipses ("..." runs count one per three
// dots, "…" one each) and sentence-ending marks in a punctuation token.
func scanPunct(w string) (hashes, ellipses, terminals int) {
	dots := 0
	for i := 0; i < len(w); {
		b := w[i]
		if b != '.' && dots > 0 {
			ellipses += dots / 3
			if dots < 3 {
				terminals++
			}
			dots = 0
		}
		switch b {
		case '#':
			hashes++
		case '.':
			dots++
		case '!', '?':
			terminals++
		}
		if b < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(w[i:])
		switch r {
		case '…':
			ellipses++
		case '．':
			terminals++
		default:
			if cjkSentenceMark(r) {
				terminals++
			}
		}
		i += n
	}
	if dots > 0 {
		ellipses += dots / 3
		if dots < 3 {
			terminals++
		}
	}
	if strings.Contains(w, "……") {
		terminals++ // the Chinese ellipsis ends a sentence
	}
	return
}

// cjkTerminalIn reports whether a punctuation token holds a fullwidth
// sentence mark (。！？, the semicolon and colon, which close a clause in
// Chinese prose as a full stop does, and the doubled ellipsis "……"): these
// end a sentence without a space.
func cjkTerminalIn(w string) bool {
	if strings.Contains(w, "……") {
		return true
	}
	for _, r := range w {
		if cjkSentenceMark(r) {
			return true
		}
	}
	return false
}

// cjkSentenceMark reports whether r is one of the fullwidth marks that end
// a sentence (see cjkTerminalIn).
func cjkSentenceMark(r rune) bool {
	switch r {
	case '。', '！', '？', '；', '：':
		return true
	}
	return false
}

// startsWithBullet reports whether a line starts with a list bullet.
func startsWithBullet(line string) bool {
	if line == "" {
		return false
	}
	switch line[0] {
	case '-', '*', '+':
		return len(line) == 1 || line[1] == ' '
	}
	if line[0] < utf8.RuneSelf {
		return false
	}
	r, _ := utf8.DecodeRuneInString(line)
	switch r {
	case '•', '‣', '⁃', '◦', '▪', '▫', '●', '○', '■', '□', '➢', '►', '▶', '✓', '✔', '·', '–', '—', '◆', '◇', '★', '☆', '※':
		return true
	}
	return false
}

// endsWithTerminal reports whether a line ends with terminal punctuation
// (. ! ? and closing quotes as in C4 and FineWeb, plus the fullwidth full
// stop, marks and closing brackets) and not with an ellipsis. Chinese prose
// also ends lines with the fullwidth semicolon and colon (a colon introduces
// the verse or speech of the next paragraph) and with the doubled ellipsis
// "……", so those count too; the ASCII ones and a single "…" do not, as in
// C4.
func endsWithTerminal(line string) bool {
	if line == "" || strings.HasSuffix(line, "...") {
		return false
	}
	if b := line[len(line)-1]; b < utf8.RuneSelf {
		return b == '.' || b == '!' || b == '?' || b == '"' || b == '\''
	}
	r, _ := utf8.DecodeLastRuneInString(line)
	switch r {
	case '。', '！', '？', '．', '；', '：', '”', '’', '」', '』':
		return true
	case '…':
		return strings.HasSuffix(line, "……")
	}
	return false
}

// runeCount counts the runes of valid UTF-8 s: its bytes minus the
// continuation bytes, eight at a time.
func runeCount(s string, ascii bool) int {
	if ascii {
		return len(s)
	}
	cont := 0
	i := 0
	for ; i+8 <= len(s); i += 8 {
		v := load64(s[i:])
		// A continuation byte is 10xxxxxx: bit 7 set, bit 6 clear.
		cont += bits.OnesCount64(v & ^(v << 1) & 0x8080808080808080)
	}
	for ; i < len(s); i++ {
		if s[i]&0xC0 == 0x80 {
			cont++
		}
	}
	return len(s) - cont
}
