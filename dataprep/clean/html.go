package clean

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// stripHTML appends s to dst with HTML markup removed: tags, comments,
// doctype and processing instructions vanish, script and style elements go
// with their content, block-level tags become line breaks and table cells
// spaces, and the common character references are decoded. A '<' that does
// not open a tag stays text, so "a < b" survives.
func stripHTML(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != '<' && s[j] != '&' {
			j++
		}
		dst = append(dst, s[i:j]...)
		if j >= len(s) {
			break
		}
		i = j
		if s[i] == '&' {
			var n int
			dst, n = appendEntity(dst, s[i:])
			i += n
			continue
		}
		n, sep, ok := skipTag(s[i:])
		if !ok {
			dst = append(dst, '<')
			i++
			continue
		}
		if sep != 0 {
			dst = append(dst, sep)
		}
		i += n
	}
	return dst
}

// skipTag measures the markup starting at s[0] == '<'. It returns the bytes
// to skip, the separator that replaces it (0, ' ' or '\n'), and false when
// s does not start a tag.
func skipTag(s string) (n int, sep byte, ok bool) {
	if len(s) < 2 {
		return 0, 0, false
	}
	if strings.HasPrefix(s, "<!--") {
		end := strings.Index(s[4:], "-->")
		if end < 0 {
			return len(s), 0, true
		}
		return 4 + end + 3, 0, true
	}
	c := s[1]
	closing := c == '/'
	if closing && len(s) > 2 {
		c = s[2]
	}
	if !isASCIILetter(c) && c != '!' && c != '?' {
		return 0, 0, false
	}
	end := strings.IndexByte(s, '>')
	if end < 0 {
		return 0, 0, false
	}
	start := 1
	if closing {
		start = 2
	}
	name := s[start:end]
	for k := 0; k < len(name); k++ {
		if !isASCIILetter(name[k]) && !(name[k] >= '0' && name[k] <= '9') {
			name = name[:k]
			break
		}
	}
	n = end + 1
	if !closing && (strings.EqualFold(name, "script") || strings.EqualFold(name, "style")) {
		// Skip to the matching close tag, case-insensitively.
		rest := s[n:]
		close := indexFold(rest, "</"+name)
		if close < 0 {
			return len(s), 0, true
		}
		gt := strings.IndexByte(rest[close:], '>')
		if gt < 0 {
			return len(s), 0, true
		}
		return n + close + gt + 1, '\n', true
	}
	switch strings.ToLower(name) {
	case "td", "th":
		return n, ' ', true
	case "p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
		"section", "article", "header", "footer", "blockquote", "pre", "hr", "title", "nav", "dd", "dt", "dl":
		return n, '\n', true
	}
	return n, 0, true
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// indexFold is strings.Index ignoring ASCII case of needle letters.
func indexFold(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

var namedEntities = map[string]string{
	"amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u00a0",
	"mdash": "—", "ndash": "–", "hellip": "…", "copy": "©", "reg": "®", "laquo": "«", "raquo": "»",
	"lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”", "middot": "·", "bull": "•",
}

// appendEntity decodes the character reference at s[0] == '&' and returns
// the bytes consumed; an unknown or malformed reference stays as text.
func appendEntity(dst []byte, s string) ([]byte, int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 10 {
		return append(dst, '&'), 1
	}
	body := s[1:end]
	if body[0] == '#' {
		var v uint64
		var err error
		if len(body) > 1 && (body[1] == 'x' || body[1] == 'X') {
			v, err = strconv.ParseUint(body[2:], 16, 32)
		} else {
			v, err = strconv.ParseUint(body[1:], 10, 32)
		}
		if err != nil || v == 0 || v > utf8.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
			return append(dst, '&'), 1
		}
		return utf8.AppendRune(dst, rune(v)), end + 1
	}
	if rep, ok := namedEntities[body]; ok {
		return append(dst, rep...), end + 1
	}
	return append(dst, '&'), 1
}
