package chat

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseSpec feeds arbitrary template files to the parser: it must not
// panic, and a template it accepts must render, translate to Jinja and
// survive the trip through its Spec.
func FuzzParseSpec(f *testing.F) {
	for _, tmpl := range testTemplates(f) {
		b, _ := json.Marshal(tmpl.Spec())
		f.Add(b)
	}
	f.Add([]byte(`{"user":"{{content}}","assistant":"{{content}}</s>","generation_prompt":"","end_of_turn":"</s>"}`))
	f.Add([]byte(`{"user":"{{content}}{{content}}"}`))
	f.Add([]byte(`[]`))
	msgs := conversations[1].msgs
	f.Fuzz(func(t *testing.T, data []byte) {
		tmpl, err := ParseSpec(data)
		if err != nil {
			return
		}
		if _, hasSystem := tmpl.Turn(RoleSystem); hasSystem {
			text, spans, err := tmpl.Render(msgs, true)
			if err != nil {
				t.Fatalf("accepted template cannot render: %v", err)
			}
			if len(spans) > 0 && spans[len(spans)-1].End != len(text) {
				t.Fatalf("spans end at %d of %d", spans[len(spans)-1].End, len(text))
			}
		}
		j := tmpl.Jinja()
		if !strings.HasPrefix(j, "{") || strings.Count(j, "{% for") != 1 {
			t.Fatalf("odd Jinja %q", j)
		}
		back, err := tmpl.Spec().Template()
		if err != nil || back.Jinja() != j {
			t.Fatalf("spec round trip: %v", err)
		}
	})
}

// FuzzParseJinja feeds arbitrary chat_template text to the reader of this
// package's Jinja: it must not panic, and the Jinja of what it accepts must
// read back to the same template.
func FuzzParseJinja(f *testing.F) {
	for _, tmpl := range testTemplates(f) {
		f.Add(tmpl.Jinja(), tmpl.EndOfTurn())
	}
	f.Add("{{ 'a\\", "</s>")
	f.Add("{% for message in messages %}{% if message['role'] == 'user' %}", "")
	f.Fuzz(func(t *testing.T, src, eot string) {
		s, err := parseJinja(src)
		if err != nil {
			return
		}
		s.EndOfTurn = eot
		tmpl, err := s.Template()
		if err != nil {
			return
		}
		back, err := parseJinja(tmpl.Jinja())
		back.EndOfTurn = eot
		if err != nil || back.Begin != s.Begin || back.System != s.System || back.User != s.User ||
			back.Assistant != s.Assistant || back.GenerationPrompt != s.GenerationPrompt {
			t.Fatalf("accepted %q; its Jinja %q reads back as %+v, %v", src, tmpl.Jinja(), back, err)
		}
	})
}
