package chat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoTemplate is returned by ReadHFTemplate for a checkpoint without a
// chat template (no tokenizer_config.json, or no chat_template in it).
var ErrNoTemplate = errors.New("no chat template")

// maxConfigBytes bounds the Hugging Face JSON files read here.
const maxConfigBytes = 16 << 20

// ReadHFTemplate reads the template of the checkpoint in dir back from the
// chat_template of its tokenizer_config.json. Only templates this package
// writes (Jinja) are understood: a built-in one is returned by its name;
// another is rebuilt from its Jinja, with eos_token as its end of turn. The
// result renders exactly as the Jinja does: its own translation must give
// the same text back.
func ReadHFTemplate(dir string) (*Template, error) {
	path := filepath.Join(dir, TokenizerConfigFile)
	var tc struct {
		ChatTemplate            string   `json:"chat_template"`
		EOSToken                string   `json:"eos_token"`
		AdditionalSpecialTokens []string `json:"additional_special_tokens"`
	}
	if err := readJSONFile(path, &tc); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: %w", dir, ErrNoTemplate)
		}
		return nil, err
	}
	if tc.ChatTemplate == "" {
		return nil, fmt.Errorf("%s: chat_template is empty: %w", path, ErrNoTemplate)
	}
	for _, name := range Builtins() {
		if b, _ := Builtin(name); b.Jinja() == tc.ChatTemplate && b.endOfTurn == tc.EOSToken {
			return b, nil
		}
	}
	spec, err := parseJinja(tc.ChatTemplate)
	if err != nil {
		return nil, fmt.Errorf("%s: chat_template is not one llmflow writes (%v); name one with --template", path, err)
	}
	spec.EndOfTurn = tc.EOSToken
	all := spec.Begin + spec.System + spec.User + spec.Assistant + spec.GenerationPrompt
	for _, s := range tc.AdditionalSpecialTokens {
		if s != spec.EndOfTurn && strings.Contains(all, s) {
			spec.SpecialTokens = append(spec.SpecialTokens, s)
		}
	}
	t, err := spec.Template()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if t.Jinja() != tc.ChatTemplate {
		return nil, fmt.Errorf("%s: chat_template is not one llmflow writes; name one with --template", path)
	}
	return t, nil
}

// ReadEOSIDs returns the eos_token_id of dir's generation_config.json, a
// number or a list as transformers accepts; nil without the file.
func ReadEOSIDs(dir string) ([]int32, error) {
	path := filepath.Join(dir, GenerationConfigFile)
	var gc struct {
		EOS json.RawMessage `json:"eos_token_id"`
	}
	if err := readJSONFile(path, &gc); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	if len(gc.EOS) == 0 || string(gc.EOS) == "null" {
		return nil, nil
	}
	var one int32
	if json.Unmarshal(gc.EOS, &one) == nil {
		return []int32{one}, nil
	}
	var ids []int32
	if err := json.Unmarshal(gc.EOS, &ids); err != nil {
		return nil, fmt.Errorf("%s: eos_token_id: want a token id or a list of them: %v", path, err)
	}
	return ids, nil
}

func readJSONFile(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() > maxConfigBytes {
		return fmt.Errorf("%s: %d bytes, more than the limit %d", path, st.Size(), maxConfigBytes)
	}
	if err := json.NewDecoder(f).Decode(v); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	return nil
}
