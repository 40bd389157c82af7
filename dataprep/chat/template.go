package chat

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Turn is what a template writes around one message's content.
type Turn struct {
	Prefix string
	Suffix string
}

// Template renders conversations. Build one with Builtin or Spec.Template;
// a Template is immutable and safe for concurrent use.
type Template struct {
	name string
	// begin is written once before the first turn.
	begin string
	roles map[string]Turn
	// genPrompt is appended when a reply is to be generated.
	genPrompt string
	// endOfTurn ends every assistant turn; it is trained on, so the model
	// learns to stop, and it is the eos id in generation_config.json.
	endOfTurn string
	// special are the tokens that must be one id each, endOfTurn included.
	special []string
}

// Builtin names.
const (
	ChatML = "chatml"
	Plain  = "plain"
)

// Token contents the built-in templates use.
const (
	TokenEndOfText = "<|endoftext|>"
	TokenIMStart   = "<|im_start|>"
	TokenIMEnd     = "<|im_end|>"
	TokenPad       = "<|pad|>"
)

// Builtins lists the built-in template names, sorted.
func Builtins() []string { return []string{ChatML, Plain} }

// Builtin returns the built-in template called name.
func Builtin(name string) (*Template, error) {
	switch name {
	case ChatML:
		turn := func(role string) Turn { return Turn{TokenIMStart + role + "\n", TokenIMEnd + "\n"} }
		return &Template{
			name:      ChatML,
			roles:     map[string]Turn{RoleSystem: turn(RoleSystem), RoleUser: turn(RoleUser), RoleAssistant: turn(RoleAssistant)},
			genPrompt: TokenIMStart + RoleAssistant + "\n",
			endOfTurn: TokenIMEnd,
			special:   []string{TokenIMStart, TokenIMEnd},
		}, nil
	case Plain:
		return &Template{
			name: Plain,
			roles: map[string]Turn{
				RoleSystem:    {"", "\n\n"},
				RoleUser:      {"### Instruction:\n", "\n\n"},
				RoleAssistant: {"### Response:\n", TokenEndOfText},
			},
			genPrompt: "### Response:\n",
			endOfTurn: TokenEndOfText,
			special:   []string{TokenEndOfText},
		}, nil
	}
	return nil, fmt.Errorf("chat template %q is not one of %s", name, strings.Join(Builtins(), ", "))
}

// Name is the built-in name, or "custom".
func (t *Template) Name() string { return t.name }

// EndOfTurn is the token that ends an assistant turn.
func (t *Template) EndOfTurn() string { return t.endOfTurn }

// SpecialTokens are the tokens the template needs as one id each, in the
// order AddTokens gives them ids.
func (t *Template) SpecialTokens() []string { return slices.Clone(t.special) }

// Turn returns what the template writes around a message of role.
func (t *Template) Turn(role string) (Turn, bool) {
	tr, ok := t.roles[role]
	return tr, ok
}

// Span is a byte range [Start, End) of rendered text; Train marks the bytes
// a loss is computed on.
type Span struct {
	Start, End int
	Train      bool
}

// Render returns the text of msgs and the spans that cover it in order.
// With generate, the generation prompt follows the last message. A role the
// template does not define is an error.
func (t *Template) Render(msgs []Message, generate bool) (string, []Span, error) {
	var b strings.Builder
	var spans []Span
	add := func(s string, train bool) {
		if s == "" {
			return
		}
		start := b.Len()
		b.WriteString(s)
		if n := len(spans); n > 0 && spans[n-1].Train == train {
			spans[n-1].End = b.Len()
			return
		}
		spans = append(spans, Span{start, b.Len(), train})
	}
	add(t.begin, false)
	for i, m := range msgs {
		tr, ok := t.roles[m.Role]
		if !ok {
			return "", nil, fmt.Errorf("message %d: role %q is not one the template defines (%s)", i, m.Role, strings.Join(sortedRoles(t.roles), ", "))
		}
		add(tr.Prefix, false)
		if m.Role != RoleAssistant {
			add(m.Content, false)
			add(tr.Suffix, false)
			continue
		}
		add(m.Content, true)
		// Train through the end-of-turn token; what follows it (a newline
		// before the next turn) is formatting, not part of the reply.
		cut := strings.Index(tr.Suffix, t.endOfTurn) + len(t.endOfTurn)
		add(tr.Suffix[:cut], true)
		add(tr.Suffix[cut:], false)
	}
	if generate {
		add(t.genPrompt, false)
	}
	return b.String(), spans, nil
}

func sortedRoles(m map[string]Turn) []string {
	out := make([]string, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	sort.Strings(out)
	return out
}
