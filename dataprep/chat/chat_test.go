package chat

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

// pieces renders ids with their mask for goldens: "[1]text" per token.
func pieces(t *testing.T, e *Encoder, ids []int32, mask []uint8) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		b, _ := e.tok.TokenBytes(id)
		out[i] = fmt.Sprintf("[%d]%s", mask[i], b)
	}
	return out
}

func TestRenderGolden(t *testing.T) {
	base := testTokenizer(t)
	for name, tmpl := range testTemplates(t) {
		tok, _, err := AddTokens(base, tmpl)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := NewEncoder(tmpl, tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range conversations {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				text, _, err := tmpl.Render(c.msgs, false)
				if err != nil {
					t.Fatal(err)
				}
				gen, _, _ := tmpl.Render(c.msgs[:len(c.msgs)-1], true)
				ids, mask, err := enc.Encode(c.msgs, Options{})
				if err != nil {
					t.Fatal(err)
				}
				testenv.CheckGolden(t, "render_"+name+"_"+c.name+".json", map[string]any{
					"text": text, "generation_prompt_text": gen, "ids": ids, "tokens": pieces(t, enc, ids, mask),
				}, *update)
			})
		}
	}
}

func TestLossMask(t *testing.T) {
	base := testTokenizer(t)
	tmpls := testTemplates(t)
	for name, tmpl := range tmpls {
		tok, _, err := AddTokens(base, tmpl)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := NewEncoder(tmpl, tok)
		if err != nil {
			t.Fatal(err)
		}
		eot, _ := tok.SpecialID(tmpl.EndOfTurn())
		for _, c := range conversations {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				ids, mask, err := enc.Encode(c.msgs, Options{})
				if err != nil {
					t.Fatal(err)
				}
				// The trained tokens decode to exactly the replies, each
				// followed by its end-of-turn token.
				var got, want strings.Builder
				for i, id := range ids {
					if mask[i] == 1 {
						b, _ := tok.TokenBytes(id)
						got.Write(b)
					}
				}
				for _, m := range c.msgs {
					if m.Role == RoleAssistant {
						want.WriteString(m.Content + tmpl.EndOfTurn())
					}
				}
				if got.String() != want.String() {
					t.Errorf("trained text\n%q\nwant\n%q", got.String(), want.String())
				}
				turns := 0
				for i, id := range ids {
					if id == eot && mask[i] == 1 {
						turns++
					}
				}
				if want := 2 * strings.Count(c.name, "multi"); turns < 1 || (want > 0 && turns != want) {
					t.Errorf("%d trained end-of-turn tokens", turns)
				}
				_, all, _ := enc.Encode(c.msgs, Options{TrainOnPrompt: true})
				for i, v := range all {
					if v != 1 {
						t.Fatalf("TrainOnPrompt: token %d has mask 0", i)
					}
				}
				gen, gmask, _ := enc.Encode(c.msgs[:len(c.msgs)-1], Options{Generate: true})
				if len(gen) >= len(ids) || gmask[len(gmask)-1] != 0 {
					t.Errorf("generation prompt: %d ids (full %d), last mask %d", len(gen), len(ids), gmask[len(gmask)-1])
				}
			})
		}
	}
}

// A reply whose first letter merges with the prefix's trailing space is
// still trained on from its first token.
func TestLossMaskMergedBoundary(t *testing.T) {
	tmpl, err := Spec{User: "Q: {{content}}\n", Assistant: "A: {{content}}<|endoftext|>", GenerationPrompt: "A:", EndOfTurn: TokenEndOfText}.Template()
	if err != nil {
		t.Fatal(err)
	}
	tok, _, err := AddTokens(testTokenizer(t), tmpl)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := NewEncoder(tmpl, tok)
	ids, mask, err := enc.Encode([]Message{{RoleUser, "two plus three"}, {RoleAssistant, "five"}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := -1
	for i := range ids {
		if mask[i] == 1 {
			first = i
			break
		}
	}
	b, _ := tok.TokenBytes(ids[first])
	if string(b) != " five" && string(b) != " " && !strings.HasPrefix(string(b), " f") {
		t.Errorf("first trained token %q, want the one that carries the reply's first byte", b)
	}
}

func TestEncoderNeedsTokens(t *testing.T) {
	tmpl, _ := Builtin(ChatML)
	if _, err := NewEncoder(tmpl, testTokenizer(t)); err == nil || !strings.Contains(err.Error(), "<|im_start|>") {
		t.Errorf("got %v, want an error naming the missing token", err)
	}
	tok, added, err := AddTokens(testTokenizer(t), tmpl)
	if err != nil || added != 3 {
		t.Fatalf("added %d: %v", added, err)
	}
	ids, err := tmpl.Resolve(tok)
	if err != nil || ids.Pad == ids.EOS || ids.BOS != ids.EndOfText {
		t.Errorf("ids %+v: %v", ids, err)
	}
	if _, again, _ := AddTokens(tok, tmpl); again != 0 {
		t.Errorf("second AddTokens added %d", again)
	}
}

func TestRenderUnknownRole(t *testing.T) {
	for name, tmpl := range testTemplates(t) {
		if _, _, err := tmpl.Render([]Message{{"tool", "x"}}, false); err == nil {
			t.Errorf("%s: no error for role tool", name)
		}
	}
}

func TestSpecErrors(t *testing.T) {
	ok := customSpec
	for _, c := range []struct {
		name string
		edit func(s *Spec)
		want string
	}{
		{"no marker", func(s *Spec) { s.User = "<|user|>" }, "template user"},
		{"two markers", func(s *Spec) { s.Assistant = "{{content}}{{content}}<|end|>" }, "exactly once"},
		{"no end of turn in assistant", func(s *Spec) { s.Assistant = "{{content}}\n" }, "end_of_turn"},
		{"empty end of turn", func(s *Spec) { s.EndOfTurn = "" }, "end_of_turn"},
		{"jinja delimiter", func(s *Spec) { s.User = "{% raw %}{{content}}" }, "delimiter"},
		{"control char", func(s *Spec) { s.GenerationPrompt = "\x00" }, "generation_prompt"},
		{"bad special", func(s *Spec) { s.SpecialTokens = []string{" x"} }, "special_tokens[0]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := ok
			c.edit(&s)
			if _, err := s.Template(); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
	if _, err := ParseSpec([]byte(`{"user":"{{content}}","assistant":"{{content}}</s>","generation_prompt":"","end_of_turn":"</s>","colour":1}`)); err == nil {
		t.Error("unknown field accepted")
	}
}

// A built-in template survives the trip through its Spec.
func TestSpecRoundTrip(t *testing.T) {
	for name, tmpl := range testTemplates(t) {
		back, err := tmpl.Spec().Template()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if back.Jinja() != tmpl.Jinja() || strings.Join(back.special, ",") != strings.Join(tmpl.special, ",") {
			t.Errorf("%s: spec round trip changed the template", name)
		}
	}
}

func TestConversationChecks(t *testing.T) {
	for _, c := range []struct {
		name string
		msgs []Message
		want string
	}{
		{"empty", nil, "empty"},
		{"assistant first", []Message{{RoleAssistant, "x"}}, "want \"user\""},
		{"system late", []Message{{RoleUser, "a"}, {RoleSystem, "b"}}, "want \"assistant\""},
		{"ends with user", []Message{{RoleUser, "a"}}, "ends with a user turn"},
		{"empty reply", []Message{{RoleUser, "a"}, {RoleAssistant, ""}}, "empty content"},
		{"bad utf8", []Message{{RoleUser, "\xff"}, {RoleAssistant, "b"}}, "UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := CheckConversation(c.msgs); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want %q", err, c.want)
			}
		})
	}
	for _, c := range conversations {
		if err := CheckConversation(c.msgs); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestSaveLoad(t *testing.T) {
	for name, tmpl := range testTemplates(t) {
		dir := t.TempDir()
		if err := tmpl.Save(dir); err != nil {
			t.Fatal(err)
		}
		back, err := Load(dir)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if back.Jinja() != tmpl.Jinja() || back.EndOfTurn() != tmpl.EndOfTurn() {
			t.Errorf("%s: template changed through Save and Load", name)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, SpecFile), []byte(`{"user": 1}`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), SpecFile) {
		t.Errorf("got %v, want an error naming %s", err, SpecFile)
	}
}

// TestHFFilesGolden pins tokenizer_config.json and generation_config.json:
// eos is the end-of-turn token, padding has its own id, generation stops at
// end of turn and at <|endoftext|>.
func TestHFFilesGolden(t *testing.T) {
	base := testTokenizer(t)
	for name, tmpl := range testTemplates(t) {
		t.Run(name, func(t *testing.T) {
			tok, _, err := AddTokens(base, tmpl)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := WriteHFFiles(dir, tok, tmpl, 1024); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{TokenizerConfigFile, GenerationConfigFile} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				var doc map[string]any
				if err := json.Unmarshal(b, &doc); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				testenv.CheckGolden(t, "hf_"+name+"_"+f, doc, *update)
			}
			ids, _ := tmpl.Resolve(tok)
			if ids.Pad == ids.EOS {
				t.Errorf("pad id equals eos id %d", ids.EOS)
			}
		})
	}
	tmpl, _ := Builtin(ChatML)
	if err := WriteHFFiles(t.TempDir(), base, tmpl, 1024); err == nil {
		t.Error("files written for a tokenizer that lacks the template's tokens")
	}
}
