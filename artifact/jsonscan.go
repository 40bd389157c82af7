package artifact

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonKind classifies a JSON value.
type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonInt // integer literal that fits int64
	jsonFloat
	jsonString
	jsonObject
	jsonArray
)

func (k jsonKind) String() string {
	return [...]string{"null", "boolean", "integer", "number", "string", "object", "array"}[k]
}

// jsonField is one member of a top-level object: raw spans into the line.
type jsonField struct {
	key    []byte // between the quotes, still escaped when keyEsc
	keyEsc bool
	val    []byte // the whole value as written (strings include quotes)
	kind   jsonKind
	esc    bool // string value contains escapes
}

// jsonSyntaxError reports where a line stops being valid JSON.
type jsonSyntaxError struct {
	col int // 1-based byte column
	msg string
}

func (e *jsonSyntaxError) Error() string {
	return fmt.Sprintf("column %d: invalid JSON: %s", e.col, e.msg)
}

// objScanner parses one JSON object per line without building a tree: it
// validates the whole line (RFC 8259 grammar) and records the top-level
// members as spans. It reuses its slices between lines.
type objScanner struct {
	b      []byte
	fields []jsonField
}

func (s *objScanner) errAt(i int, format string, args ...any) error {
	return &jsonSyntaxError{col: i + 1, msg: fmt.Sprintf(format, args...)}
}

// parse scans line, which must be valid UTF-8, as one JSON object.
func (s *objScanner) parse(line []byte) error {
	s.b = line
	s.fields = s.fields[:0]
	i := s.ws(0)
	if i >= len(line) || line[i] != '{' {
		if i >= len(line) {
			return s.errAt(i, "empty line")
		}
		return s.errAt(i, "want an object, found %q", line[i])
	}
	i = s.ws(i + 1)
	if i < len(line) && line[i] == '}' {
		return s.trailing(i + 1)
	}
	for {
		if i >= len(line) || line[i] != '"' {
			return s.errAt(i, "want a member name")
		}
		end, esc, err := s.str(i)
		if err != nil {
			return err
		}
		f := jsonField{key: line[i+1 : end-1], keyEsc: esc}
		i = s.ws(end)
		if i >= len(line) || line[i] != ':' {
			return s.errAt(i, "want ':' after member name")
		}
		i = s.ws(i + 1)
		vs := i
		if i, f.kind, f.esc, err = s.value(i, 1); err != nil {
			return err
		}
		f.val = line[vs:i]
		s.fields = append(s.fields, f)
		i = s.ws(i)
		if i >= len(line) {
			return s.errAt(i, "unterminated object")
		}
		switch line[i] {
		case ',':
			i = s.ws(i + 1)
		case '}':
			return s.trailing(i + 1)
		default:
			return s.errAt(i, "want ',' or '}', found %q", line[i])
		}
	}
}

func (s *objScanner) trailing(i int) error {
	if i = s.ws(i); i < len(s.b) {
		return s.errAt(i, "unexpected data after the object")
	}
	return nil
}

func (s *objScanner) ws(i int) int {
	for i < len(s.b) {
		switch s.b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// value scans the value at i and returns the index after it.
func (s *objScanner) value(i, depth int) (int, jsonKind, bool, error) {
	b := s.b
	if i >= len(b) {
		return i, 0, false, s.errAt(i, "want a value")
	}
	switch c := b[i]; {
	case c == '"':
		end, esc, err := s.str(i)
		return end, jsonString, esc, err
	case c == '{' || c == '[':
		if depth >= MaxJSONDepth {
			return i, 0, false, s.errAt(i, "nested deeper than %d", MaxJSONDepth)
		}
		end, err := s.container(i, depth)
		if c == '{' {
			return end, jsonObject, false, err
		}
		return end, jsonArray, false, err
	case c == 't':
		return s.lit(i, "true", jsonBool)
	case c == 'f':
		return s.lit(i, "false", jsonBool)
	case c == 'n':
		return s.lit(i, "null", jsonNull)
	case c == '-' || c >= '0' && c <= '9':
		return s.number(i)
	default:
		return i, 0, false, s.errAt(i, "unexpected %q", c)
	}
}

func (s *objScanner) lit(i int, word string, k jsonKind) (int, jsonKind, bool, error) {
	if len(s.b)-i < len(word) || string(s.b[i:i+len(word)]) != word {
		return i, 0, false, s.errAt(i, "invalid literal, want %s", word)
	}
	return i + len(word), k, false, nil
}

// container scans an object or array starting at i.
func (s *objScanner) container(i, depth int) (int, error) {
	b := s.b
	obj := b[i] == '{'
	closer := byte(']')
	if obj {
		closer = '}'
	}
	i = s.ws(i + 1)
	if i < len(b) && b[i] == closer {
		return i + 1, nil
	}
	for {
		if obj {
			if i >= len(b) || b[i] != '"' {
				return i, s.errAt(i, "want a member name")
			}
			end, _, err := s.str(i)
			if err != nil {
				return i, err
			}
			i = s.ws(end)
			if i >= len(b) || b[i] != ':' {
				return i, s.errAt(i, "want ':' after member name")
			}
			i = s.ws(i + 1)
		}
		var err error
		if i, _, _, err = s.value(i, depth+1); err != nil {
			return i, err
		}
		i = s.ws(i)
		if i >= len(b) {
			return i, s.errAt(i, "unterminated %s", map[bool]string{true: "object", false: "array"}[obj])
		}
		if b[i] == closer {
			return i + 1, nil
		}
		if b[i] != ',' {
			return i, s.errAt(i, "want ',' or %q, found %q", closer, b[i])
		}
		i = s.ws(i + 1)
	}
}

// str scans the string whose opening quote is at i; it returns the index
// after the closing quote and whether the string holds escapes.
func (s *objScanner) str(i int) (int, bool, error) {
	b := s.b
	esc := false
	j := i + 1
	for {
		// Skip 8 plain bytes at a time; most of a document is plain text.
		for j+8 <= len(b) && !special8(binary.LittleEndian.Uint64(b[j:])) {
			j += 8
		}
		if j >= len(b) {
			return len(b), esc, s.errAt(i, "unterminated string")
		}
		switch c := b[j]; {
		case c == '"':
			return j + 1, esc, nil
		case c == '\\':
			esc = true
			if j+1 >= len(b) {
				return j, esc, s.errAt(j, "unterminated escape")
			}
			switch b[j+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				j += 2
			case 'u':
				if j+5 >= len(b) || !isHex4(b[j+2:j+6]) {
					return j, esc, s.errAt(j, "invalid \\u escape")
				}
				j += 6
			default:
				return j, esc, s.errAt(j, "invalid escape \\%c", b[j+1])
			}
		case c < 0x20:
			return j, esc, s.errAt(j, "control character %#02x in string", c)
		default:
			j++
		}
	}
}

// special8 reports whether any of the 8 bytes in w is '"', '\\' or a
// control character (< 0x20), with the classic SWAR zero-byte test. False
// positives only send the caller to its byte loop.
func special8(w uint64) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	quote := w ^ (lo * '"')
	slash := w ^ (lo * '\\')
	return ((quote-lo)&^quote|(slash-lo)&^slash|(w-lo*0x20)&^w)&hi != 0
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// number scans a JSON number; integers that overflow int64 count as floats.
func (s *objScanner) number(i int) (int, jsonKind, bool, error) {
	b := s.b
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, 0, false, s.errAt(i, "invalid number")
	}
	kind := jsonInt
	if i < len(b) && b[i] == '.' {
		kind = jsonFloat
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, 0, false, s.errAt(i, "invalid number: digit expected after '.'")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		kind = jsonFloat
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return i, 0, false, s.errAt(i, "invalid number: digit expected in exponent")
		}
	}
	// Up to 18 digits always fit int64; only longer literals need a check.
	if kind == jsonInt && i-start > 18 {
		if _, err := strconv.ParseInt(string(b[start:i]), 10, 64); err != nil {
			kind = jsonFloat
		}
	}
	return i, kind, false, nil
}

// ErrLoneSurrogate marks a \u escape that is half of a UTF-16 surrogate pair.
var ErrLoneSurrogate = errors.New("\\u escape is a lone UTF-16 surrogate, which is not valid Unicode")

// appendUnescaped appends the decoded content of a scanned string (raw is
// between the quotes) to dst. Lone surrogates are errors rather than being
// silently replaced by U+FFFD.
func appendUnescaped(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			j := bytes.IndexByte(raw[i:], '\\')
			if j < 0 {
				return append(dst, raw[i:]...), nil
			}
			dst = append(dst, raw[i:i+j]...)
			i += j
			continue
		}
		switch raw[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(raw[i+2:]))
			i += 6
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || i+6 > len(raw) || raw[i] != '\\' || raw[i+1] != 'u' {
					return dst, ErrLoneSurrogate
				}
				r2 := rune(hex4(raw[i+2:]))
				if r2 < 0xDC00 || r2 > 0xDFFF {
					return dst, ErrLoneSurrogate
				}
				r = utf16.DecodeRune(r, r2)
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, raw[i+1])
		}
		i += 2
	}
	return dst, nil
}

func hex4(b []byte) uint16 {
	var v uint16
	for _, c := range b[:4] {
		v <<= 4
		switch {
		case c >= '0' && c <= '9':
			v |= uint16(c - '0')
		case c >= 'a' && c <= 'f':
			v |= uint16(c - 'a' + 10)
		default:
			v |= uint16(c - 'A' + 10)
		}
	}
	return v
}
