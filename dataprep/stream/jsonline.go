package stream

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/llmflow/llmflow/artifact"
)

// A minimal scanner for one JSON object per line: it finds a top-level
// key's value span so that the rest of the line can be copied byte for byte.

var errSyntax = errors.New("invalid JSON")

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"' and
// whether it contains escapes. Quotes are found with the vectorised
// bytes.IndexByte; a quote preceded by an odd run of backslashes is escaped.
func skipString(b []byte, i int) (int, bool, error) {
	for j := i + 1; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			break
		}
		q := j + k
		bs := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			return q + 1, bytes.IndexByte(b[i+1:q], '\\') >= 0, nil
		}
		j = q + 1
	}
	return 0, false, fmt.Errorf("%w: unterminated string", errSyntax)
}

// skipValue returns the index after the value starting at b[i]. Nesting is
// tracked with a counter, so deep input cannot exhaust the stack.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, fmt.Errorf("%w: value expected", errSyntax)
	}
	switch b[i] {
	case '"':
		j, _, err := skipString(b, i)
		return j, err
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				k, _, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = k - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, fmt.Errorf("%w: unterminated object or array", errSyntax)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\r' && b[j] != '\n' {
		j++
	}
	if j == i {
		return 0, fmt.Errorf("%w: value expected at byte %d", errSyntax, i+1)
	}
	return j, nil
}

// span locates a value within a line.
type span struct{ start, end int }

// objectField finds the value of top-level key in the object on line. It
// returns the value span, the index of the closing brace, and found=false
// when the key is absent.
func objectField(line []byte, key string) (val span, closing int, found bool, err error) {
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return span{}, 0, false, fmt.Errorf("%w: not a JSON object", errSyntax)
	}
	i = skipWS(line, i+1)
	if i < len(line) && line[i] == '}' {
		return span{}, i, false, nil
	}
	for {
		if i >= len(line) || line[i] != '"' {
			return span{}, 0, false, fmt.Errorf("%w: key expected at byte %d", errSyntax, i+1)
		}
		kend, esc, err := skipString(line, i)
		if err != nil {
			return span{}, 0, false, err
		}
		match := false
		if esc {
			k, err := decodeString(line[i:kend], nil)
			match = err == nil && string(k) == key
		} else {
			match = string(line[i+1:kend-1]) == key
		}
		i = skipWS(line, kend)
		if i >= len(line) || line[i] != ':' {
			return span{}, 0, false, fmt.Errorf("%w: ':' expected at byte %d", errSyntax, i+1)
		}
		i = skipWS(line, i+1)
		vend, err := skipValue(line, i)
		if err != nil {
			return span{}, 0, false, err
		}
		if match { // the last duplicate key wins, as in encoding/json and Python
			val, found = span{i, vend}, true
		}
		i = skipWS(line, vend)
		if i < len(line) && line[i] == ',' {
			i = skipWS(line, i+1)
			continue
		}
		if i < len(line) && line[i] == '}' {
			if rest := skipWS(line, i+1); rest != len(line) {
				return span{}, 0, false, fmt.Errorf("%w: data after the object at byte %d", errSyntax, rest+1)
			}
			return val, i, found, nil
		}
		return span{}, 0, false, fmt.Errorf("%w: ',' or '}' expected at byte %d", errSyntax, i+1)
	}
}

// decodeString appends the decoded JSON string raw (quotes included) to
// dst under the shared input policy: invalid UTF-8 and lone surrogates are
// errors.
func decodeString(raw, dst []byte) ([]byte, error) {
	return artifact.AppendJSONString(dst, raw)
}

// appendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, other text (UTF-8) as is, invalid bytes as U+FFFD.
func appendString(dst []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\' && s[j] < utf8.RuneSelf {
				j++
			}
			dst = append(dst, s[i:j]...)
			i = j
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&0xF])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, "\ufffd"...)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}

// setField appends line to dst with top-level key set to the JSON string
// value: replaced in place when present, appended before the closing brace
// otherwise. line must be a valid object as checked by objectField.
func setField(dst, line []byte, key, value string) ([]byte, error) {
	val, closing, found, err := objectField(line, key)
	if err != nil {
		return nil, err
	}
	if found {
		dst = append(dst, line[:val.start]...)
		dst = appendString(dst, value)
		return append(dst, line[val.end:]...), nil
	}
	// Insert after the last non-space byte before '}'.
	j := closing
	for j > 0 && isWS(line[j-1]) {
		j--
	}
	dst = append(dst, line[:j]...)
	if line[j-1] != '{' {
		dst = append(dst, ',')
	}
	dst = appendString(dst, key)
	dst = append(dst, ':')
	dst = appendString(dst, value)
	return append(dst, line[j:]...), nil
}

func isWS(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }
