package chat

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadHFTemplate reads each template back from the tokenizer_config.json
// WriteHFFiles wrote for it (the golden files) and requires the same
// template: same Jinja, end of turn and special tokens, and a built-in one
// by its name.
func TestReadHFTemplate(t *testing.T) {
	for name, want := range testTemplates(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, filepath.Join("testdata", "hf_"+name+"_tokenizer_config.json"), filepath.Join(dir, TokenizerConfigFile))
			got, err := ReadHFTemplate(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got.Jinja() != want.Jinja() || got.EndOfTurn() != want.EndOfTurn() {
				t.Errorf("read back %+v, want %+v", got.Spec(), want.Spec())
			}
			gs, ws := got.SpecialTokens(), want.SpecialTokens()
			slices.Sort(gs)
			slices.Sort(ws)
			if !slices.Equal(gs, ws) {
				t.Errorf("special tokens %q, want %q", gs, ws)
			}
			if wantName := map[string]string{"custom": "custom"}[name]; wantName == "" && got.Name() != name {
				t.Errorf("name %q, want %q", got.Name(), name)
			}
		})
	}
}

func TestReadHFTemplateErrors(t *testing.T) {
	chatml, _ := Builtin(ChatML)
	quote := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) }
	for _, tc := range []struct {
		name, config string // config "" writes no file
		want         string
		none         bool
	}{
		{name: "no file", none: true},
		{name: "no chat_template", config: `{"eos_token":"<|endoftext|>"}`, none: true},
		{name: "not JSON", config: `{"chat_template": `, want: "tokenizer_config.json: unexpected EOF"},
		{name: "foreign template", config: `{"chat_template":"{% for m in messages %}{{ m.content }}{% endfor %}","eos_token":"</s>"}`, want: "not one llmflow writes"},
		{name: "trailing text", config: `{"chat_template":"` + quote(chatml.Jinja()+"{{ 'x' }}") + `","eos_token":"<|im_end|>"}`, want: "unexpected text"},
		{name: "end of turn not in the assistant turn", config: `{"chat_template":"` + quote(chatml.Jinja()) + `","eos_token":"</s>"}`, want: "must contain end_of_turn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.config != "" {
				if err := os.WriteFile(filepath.Join(dir, TokenizerConfigFile), []byte(tc.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ReadHFTemplate(dir)
			if tc.none {
				if !errors.Is(err, ErrNoTemplate) {
					t.Fatalf("got %v, want ErrNoTemplate", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestReadEOSIDs(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		want         []int32
		err          string
	}{
		{"absent", "", nil, ""},
		{"list", `{"eos_token_id":[424,0]}`, []int32{424, 0}, ""},
		{"number", `{"eos_token_id":7}`, []int32{7}, ""},
		{"null", `{"eos_token_id":null}`, nil, ""},
		{"string", `{"eos_token_id":"x"}`, nil, "eos_token_id: want a token id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.config != "" {
				os.WriteFile(filepath.Join(dir, GenerationConfigFile), []byte(tc.config), 0o644)
			}
			got, err := ReadEOSIDs(dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
