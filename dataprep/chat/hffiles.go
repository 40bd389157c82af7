package chat

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// File names of the Hugging Face files WriteHFFiles writes.
const (
	TokenizerConfigFile  = "tokenizer_config.json"
	GenerationConfigFile = "generation_config.json"
)

// tokenizerClass makes transformers load tokenizer.json as it is: the
// slow GPT2Tokenizer would need vocab.json and merges.txt and knows no Han
// split.
const tokenizerClass = "PreTrainedTokenizerFast"

type addedTokenJSON struct {
	Content    string `json:"content"`
	LStrip     bool   `json:"lstrip"`
	Normalized bool   `json:"normalized"`
	RStrip     bool   `json:"rstrip"`
	SingleWord bool   `json:"single_word"`
	Special    bool   `json:"special"`
}

// tokenizerConfig is tokenizer_config.json, fields in transformers' order.
type tokenizerConfig struct {
	AddBOSToken               bool                      `json:"add_bos_token"`
	AddPrefixSpace            bool                      `json:"add_prefix_space"`
	AddedTokensDecoder        map[string]addedTokenJSON `json:"added_tokens_decoder"`
	BOSToken                  string                    `json:"bos_token"`
	ChatTemplate              string                    `json:"chat_template"`
	CleanUpTokenizationSpaces bool                      `json:"clean_up_tokenization_spaces"`
	EOSToken                  string                    `json:"eos_token"`
	ModelMaxLength            int                       `json:"model_max_length"`
	PadToken                  string                    `json:"pad_token"`
	TokenizerClass            string                    `json:"tokenizer_class"`
	UnkToken                  *string                   `json:"unk_token"`
	AdditionalSpecialTokens   []string                  `json:"additional_special_tokens,omitempty"`
}

// generationConfig is generation_config.json: generation stops at any of
// the eos ids.
type generationConfig struct {
	BOSTokenID int32   `json:"bos_token_id"`
	EOSTokenID []int32 `json:"eos_token_id"`
	PadTokenID int32   `json:"pad_token_id"`
}

// WriteHFFiles writes tokenizer.json, tokenizer_config.json (with t as the
// Jinja chat_template) and generation_config.json for tok into dir, each
// through a temporary file and a rename. tok must have t's special tokens
// (see AddTokens); maxLen is the model's context length.
func WriteHFFiles(dir string, tok *tokenizer.Tokenizer, t *Template, maxLen int) error {
	ids, err := t.Resolve(tok)
	if err != nil {
		return err
	}
	if err := tok.Save(filepath.Join(dir, tokenizer.FileName)); err != nil {
		return err
	}
	content := func(id int32) string { s, _ := tok.Token(id); return s }
	tc := tokenizerConfig{
		AddedTokensDecoder: map[string]addedTokenJSON{},
		BOSToken:           content(ids.BOS),
		ChatTemplate:       t.Jinja(),
		EOSToken:           content(ids.EOS),
		ModelMaxLength:     maxLen,
		PadToken:           content(ids.Pad),
		TokenizerClass:     tokenizerClass,
	}
	for _, a := range tok.AddedTokens() {
		tc.AddedTokensDecoder[strconv.Itoa(int(a.ID))] = addedTokenJSON{Content: a.Content, Special: a.Special}
		if a.Special && a.ID != ids.BOS && a.ID != ids.EOS && a.ID != ids.Pad {
			tc.AdditionalSpecialTokens = append(tc.AdditionalSpecialTokens, a.Content)
		}
	}
	if err := writeJSON(filepath.Join(dir, TokenizerConfigFile), tc); err != nil {
		return err
	}
	gc := generationConfig{BOSTokenID: ids.BOS, EOSTokenID: []int32{ids.EOS}, PadTokenID: ids.Pad}
	if ids.EndOfText >= 0 && ids.EndOfText != ids.EOS {
		gc.EOSTokenID = append(gc.EOSTokenID, ids.EndOfText)
	}
	return writeJSON(filepath.Join(dir, GenerationConfigFile), gc)
}

// writeJSON writes v indented, without HTML escaping so "<|im_end|>" stays
// readable; map keys come out sorted, so output is deterministic.
func writeJSON(path string, v any) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	return artifact.WriteFileAtomic(path, b.Bytes())
}

// CopyFiles copies the tokenizer and chat files a checkpoint carries
// (tokenizer.json, tokenizer_config.json, generation_config.json,
// template.json, chat_template.jinja), those present in from, into to: what
// an adapter or a reward model trained from the checkpoint carries along.
func CopyFiles(from, to string) error {
	for _, name := range []string{tokenizer.FileName, TokenizerConfigFile, GenerationConfigFile, SpecFile, JinjaFile} {
		b, err := os.ReadFile(filepath.Join(from, name))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return err
		}
		if err := artifact.WriteFileAtomic(filepath.Join(to, name), b); err != nil {
			return err
		}
	}
	return nil
}
