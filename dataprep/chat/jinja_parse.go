package chat

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// parseJinja reads back what Template.Jinja writes, returning the Spec
// without EndOfTurn and SpecialTokens, which the Jinja does not carry.
// Anything else, even equivalent Jinja, is an error: rendering it with
// another template would silently change the ids a model sees.
func parseJinja(src string) (Spec, error) {
	p := &jinjaParser{s: src}
	var s Spec
	if p.accept("{{ ") {
		s.Begin = p.literal()
		p.expect(" }}")
	}
	p.expect("{% for message in messages %}")
	for _, kw := range []string{"{% if", "{% elif", "{% elif"} {
		if !p.accept(kw + " message['role'] == ") {
			break
		}
		role := p.literal()
		p.expect(" %}{{ ")
		pre := p.literal()
		p.expect(" + message['content'] + ")
		suf := p.literal()
		p.expect(" }}")
		turn := pre + ContentMarker + suf
		switch {
		case p.err != nil:
		case role == RoleSystem && s.System == "":
			s.System = turn
		case role == RoleUser && s.User == "":
			s.User = turn
		case role == RoleAssistant && s.Assistant == "":
			s.Assistant = turn
		default:
			p.fail("unexpected role %q", role)
		}
	}
	p.expect("{% else %}{{ raise_exception('Unsupported role: ' + message['role']) }}{% endif %}{% endfor %}")
	if p.accept("{% if add_generation_prompt %}{{ ") {
		s.GenerationPrompt = p.literal()
		p.expect(" }}{% endif %}")
	}
	if p.err == nil && p.s != "" {
		p.fail("unexpected text at %q", clip(p.s))
	}
	return s, p.err
}

// jinjaParser consumes s from the front; the first error sticks.
type jinjaParser struct {
	s   string
	err error
}

func (p *jinjaParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf(format, args...)
	}
}

func (p *jinjaParser) accept(lit string) bool {
	if p.err != nil || !strings.HasPrefix(p.s, lit) {
		return false
	}
	p.s = p.s[len(lit):]
	return true
}

func (p *jinjaParser) expect(lit string) {
	if !p.accept(lit) {
		p.fail("want %q at %q", clip(lit), clip(p.s))
	}
}

// literal reads a single-quoted string as jinjaString writes it.
func (p *jinjaParser) literal() string {
	if !p.accept("'") {
		p.fail("want a string at %q", clip(p.s))
		return ""
	}
	var b strings.Builder
	for i := 0; i < len(p.s); i++ {
		switch c := p.s[i]; c {
		case '\'':
			p.s = p.s[i+1:]
			return b.String()
		case '\\':
			if i+1 == len(p.s) {
				break
			}
			i++
			switch e := p.s[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '\'':
				b.WriteByte(e)
			default:
				p.fail("unknown escape \\%c", e)
				return ""
			}
		default:
			b.WriteByte(c)
		}
	}
	p.fail("unterminated string")
	return ""
}

// clip shortens s for an error message, on a character boundary.
func clip(s string) string {
	for i := 40; i < len(s); i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return s
}
