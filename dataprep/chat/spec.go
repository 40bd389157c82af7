package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ContentMarker stands for the message content in a Spec's role strings.
const ContentMarker = "{{content}}"

// maxSpecBytes bounds a template file, which is small by nature.
const maxSpecBytes = 1 << 20

// Spec is a user-defined template as written in a pipeline or in a
// template.json file. System, User and Assistant each hold ContentMarker
// exactly once; the text before it is the turn's prefix, the text after it
// the suffix. System may be empty (conversations with a system turn are
// then refused). The assistant suffix must contain EndOfTurn, which must be
// one of SpecialTokens or is added to them.
//
// Strings may hold any printable text, newlines and tabs, but not Jinja's
// delimiters ({{ }} {% %} {# #}) outside the one marker, so that the Jinja
// translation renders them literally.
type Spec struct {
	Begin            string   `hcl:"begin,optional" json:"begin,omitempty"`
	System           string   `hcl:"system,optional" json:"system,omitempty"`
	User             string   `hcl:"user" json:"user"`
	Assistant        string   `hcl:"assistant" json:"assistant"`
	GenerationPrompt string   `hcl:"generation_prompt" json:"generation_prompt"`
	EndOfTurn        string   `hcl:"end_of_turn" json:"end_of_turn"`
	SpecialTokens    []string `hcl:"special_tokens,optional" json:"special_tokens,omitempty"`
}

// ParseSpec reads a Spec from JSON (unknown fields are errors) and checks it.
func ParseSpec(data []byte) (*Template, error) {
	if len(data) > maxSpecBytes {
		return nil, fmt.Errorf("template: %d bytes, more than the limit %d", len(data), maxSpecBytes)
	}
	var s Spec
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("template: %v", err)
	}
	return s.Template()
}

// Template checks s and returns the template it describes. Errors name the
// offending field.
func (s Spec) Template() (*Template, error) {
	t := &Template{name: "custom", begin: s.Begin, genPrompt: s.GenerationPrompt, endOfTurn: s.EndOfTurn, roles: map[string]Turn{}}
	for _, f := range []struct{ name, v string }{{"begin", s.Begin}, {"generation_prompt", s.GenerationPrompt}, {"end_of_turn", s.EndOfTurn}} {
		if err := checkLiteral(f.v); err != nil {
			return nil, fmt.Errorf("template %s: %v", f.name, err)
		}
	}
	for _, r := range []struct{ role, v string }{{RoleSystem, s.System}, {RoleUser, s.User}, {RoleAssistant, s.Assistant}} {
		if r.v == "" && r.role == RoleSystem {
			continue
		}
		pre, suf, ok := strings.Cut(r.v, ContentMarker)
		if !ok || strings.Contains(suf, ContentMarker) {
			return nil, fmt.Errorf("template %s: %q must hold %s exactly once", r.role, r.v, ContentMarker)
		}
		for _, part := range []string{pre, suf} {
			if err := checkLiteral(part); err != nil {
				return nil, fmt.Errorf("template %s: %v", r.role, err)
			}
		}
		t.roles[r.role] = Turn{pre, suf}
	}
	if s.EndOfTurn == "" {
		return nil, fmt.Errorf("template end_of_turn: empty; name the token that ends an assistant turn, e.g. \"<|endoftext|>\"")
	}
	if !strings.Contains(t.roles[RoleAssistant].Suffix, s.EndOfTurn) {
		return nil, fmt.Errorf("template assistant: the text after %s must contain end_of_turn %q, so a trained model learns to stop", ContentMarker, s.EndOfTurn)
	}
	seen := map[string]bool{}
	for i, tok := range append(append([]string(nil), s.SpecialTokens...), s.EndOfTurn) {
		if err := checkLiteral(tok); err != nil || tok == "" || strings.TrimSpace(tok) != tok {
			return nil, fmt.Errorf("template special_tokens[%d]: %q is not a usable token (empty, surrounding space or %v)", i, tok, err)
		}
		if !seen[tok] {
			seen[tok] = true
			t.special = append(t.special, tok)
		}
	}
	return t, nil
}

// checkLiteral refuses what a Jinja string literal could not carry the same
// way in Python's Jinja and in transformers.js: invalid UTF-8, control
// characters other than newline, tab and carriage return, and template
// delimiters.
func checkLiteral(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("text is not valid UTF-8")
	}
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t' && r != '\r') || r == 0x7f {
			return fmt.Errorf("control character %U is not allowed", r)
		}
	}
	for _, d := range []string{"{{", "}}", "{%", "%}", "{#", "#}"} {
		if strings.Contains(s, d) {
			return fmt.Errorf("%q holds the template delimiter %q", s, d)
		}
	}
	return nil
}

// Spec returns the Spec that describes t (for a built-in template as well),
// with end_of_turn listed last among the special tokens.
func (t *Template) Spec() Spec {
	role := func(r string) string {
		tr, ok := t.roles[r]
		if !ok {
			return ""
		}
		return tr.Prefix + ContentMarker + tr.Suffix
	}
	var special []string
	for _, s := range t.special {
		if s != t.endOfTurn {
			special = append(special, s)
		}
	}
	return Spec{Begin: t.begin, System: role(RoleSystem), User: role(RoleUser), Assistant: role(RoleAssistant),
		GenerationPrompt: t.genPrompt, EndOfTurn: t.endOfTurn, SpecialTokens: special}
}
