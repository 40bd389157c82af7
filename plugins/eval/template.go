package eval

import (
	"fmt"
	"strings"
)

// Template is a prompt template: text with {field} placeholders naming
// columns of the prompts dataset; {{ and }} stand for literal braces.
type Template struct {
	src   string
	parts []tmplPart
}

type tmplPart struct {
	text  string // literal text, or the field name when field is set
	field bool
}

// ParseTemplate parses src, reporting an unclosed, empty or stray brace
// with its byte offset.
func ParseTemplate(src string) (*Template, error) {
	t := &Template{src: src}
	var lit strings.Builder
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case (c == '{' || c == '}') && i+1 < len(src) && src[i+1] == c:
			lit.WriteByte(c)
			i++
		case c == '}':
			return nil, fmt.Errorf("template: stray } at byte %d (write }} for a literal brace)", i)
		case c == '{':
			end := strings.IndexAny(src[i+1:], "{}")
			if end < 0 || src[i+1+end] != '}' {
				return nil, fmt.Errorf("template: { at byte %d is not closed (write {{ for a literal brace)", i)
			}
			name := strings.TrimSpace(src[i+1 : i+1+end])
			if name == "" {
				return nil, fmt.Errorf("template: empty placeholder {} at byte %d", i)
			}
			if lit.Len() > 0 {
				t.parts = append(t.parts, tmplPart{text: lit.String()})
				lit.Reset()
			}
			t.parts = append(t.parts, tmplPart{text: name, field: true})
			i += end + 1
		default:
			lit.WriteByte(c)
		}
	}
	if lit.Len() > 0 {
		t.parts = append(t.parts, tmplPart{text: lit.String()})
	}
	return t, nil
}

// Fields returns the field names the template uses, in order of use.
func (t *Template) Fields() []string {
	var out []string
	for _, p := range t.parts {
		if p.field {
			out = append(out, p.text)
		}
	}
	return out
}

// Render fills the placeholders with fields; a field absent from it is an
// error naming it.
func (t *Template) Render(fields map[string]string) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if !p.field {
			b.WriteString(p.text)
			continue
		}
		v, ok := fields[p.text]
		if !ok {
			return "", fmt.Errorf("template field %q has no value", p.text)
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
