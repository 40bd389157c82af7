package chat

import "strings"

// Jinja returns t as a Hugging Face chat_template: for each message its
// role's prefix, content and suffix; the generation prompt under
// add_generation_prompt; and an exception for a role t does not define.
// Only string literals, concatenation and role tests are used, which
// Python's Jinja2 and transformers.js' Jinja evaluate alike.
func (t *Template) Jinja() string {
	var b strings.Builder
	if t.begin != "" {
		b.WriteString("{{ " + jinjaString(t.begin) + " }}")
	}
	b.WriteString("{% for message in messages %}")
	kw := "{% if"
	for _, role := range []string{RoleSystem, RoleUser, RoleAssistant} {
		tr, ok := t.roles[role]
		if !ok {
			continue
		}
		b.WriteString(kw + " message['role'] == " + jinjaString(role) + " %}")
		b.WriteString("{{ " + jinjaString(tr.Prefix) + " + message['content'] + " + jinjaString(tr.Suffix) + " }}")
		kw = "{% elif"
	}
	b.WriteString("{% else %}{{ raise_exception('Unsupported role: ' + message['role']) }}{% endif %}")
	b.WriteString("{% endfor %}")
	if t.genPrompt != "" {
		b.WriteString("{% if add_generation_prompt %}{{ " + jinjaString(t.genPrompt) + " }}{% endif %}")
	}
	return b.String()
}

// jinjaString quotes s as a single-quoted Jinja string literal. Spec
// checking leaves only newline, tab and carriage return among control
// characters, and no template delimiters.
func jinjaString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\t", `\t`, "\r", `\r`)
	return "'" + r.Replace(s) + "'"
}
