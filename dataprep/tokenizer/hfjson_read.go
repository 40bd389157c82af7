package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
)

// maxFileBytes bounds what Parse accepts: a 4M-entry vocabulary fits easily.
const maxFileBytes = 1 << 30

type fileJSON struct {
	AddedTokens   []addedJSON     `json:"added_tokens"`
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	Model         *modelJSON      `json:"model"`
}

type addedJSON struct {
	ID      *int64  `json:"id"`
	Content *string `json:"content"`
	Special bool    `json:"special"`
}

type modelJSON struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

type typedJSON struct {
	Type           string          `json:"type"`
	AddPrefixSpace bool            `json:"add_prefix_space"`
	UseRegex       *bool           `json:"use_regex"`
	Pretokenizers  []typedJSON     `json:"pretokenizers"`
	Pattern        json.RawMessage `json:"pattern"`
	Behavior       string          `json:"behavior"`
	Invert         bool            `json:"invert"`
}

// Load reads a tokenizer.json file; errors name the file.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// ReadJSON reads a tokenizer.json document from r; see Parse.
func ReadJSON(r io.Reader) (*Tokenizer, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse decodes a Hugging Face tokenizer.json holding a byte-level BPE model
// as WriteJSON produces it or as the tokenizers library saves GPT-2 style
// tokenizers. Merges may be pairs or the older "a b" strings. Anything this
// package cannot reproduce exactly (normalizers, other models or
// pre-tokenizers, a prefix space) is an error, never a silent difference.
func Parse(data []byte) (*Tokenizer, error) {
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("file is larger than %d bytes", maxFileBytes)
	}
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("not a tokenizer.json document: %w", err)
	}
	if f.Model == nil {
		return nil, errors.New("model: missing")
	}
	m := f.Model
	if m.Type != "" && m.Type != "BPE" {
		return nil, fmt.Errorf("model.type: %q is not supported (want \"BPE\")", m.Type)
	}
	switch {
	case m.Dropout != nil && *m.Dropout != 0:
		return nil, errors.New("model.dropout: BPE dropout is not supported")
	case m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "":
		return nil, errors.New("model.continuing_subword_prefix: not supported by a byte-level BPE")
	case m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "":
		return nil, errors.New("model.end_of_word_suffix: not supported by a byte-level BPE")
	case m.ByteFallback:
		return nil, errors.New("model.byte_fallback: not supported by a byte-level BPE")
	case m.IgnoreMerges:
		return nil, errors.New("model.ignore_merges: true is not supported")
	}
	if !isNull(f.Normalizer) {
		return nil, errors.New("normalizer: only null is supported")
	}
	pre, err := parsePreTokenizer(f.PreTokenizer)
	if err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	for _, field := range []struct {
		name string
		raw  json.RawMessage
	}{{"decoder", f.Decoder}, {"post_processor", f.PostProcessor}} {
		if isNull(field.raw) {
			continue
		}
		var d typedJSON
		if err := json.Unmarshal(field.raw, &d); err != nil || d.Type != "ByteLevel" {
			return nil, fmt.Errorf("%s: only ByteLevel or null is supported", field.name)
		}
	}
	vocab, err := parseVocab(m.Vocab)
	if err != nil {
		return nil, fmt.Errorf("model.vocab: %w", err)
	}
	added, vocab, err := mergeAdded(f.AddedTokens, vocab)
	if err != nil {
		return nil, err
	}
	merges, err := parseMerges(m.Merges, vocab)
	if err != nil {
		return nil, fmt.Errorf("model.merges: %w", err)
	}
	return build(pre, vocab, added, merges)
}

func isNull(raw json.RawMessage) bool {
	s := bytes.TrimSpace(raw)
	return len(s) == 0 || string(s) == "null"
}

var hanRegex = regexp.MustCompile(`^\\p\{Han\}(?:\{1,([0-9]{1,2})\})?$`)

func parsePreTokenizer(raw json.RawMessage) (PreTokenizer, error) {
	if isNull(raw) {
		return PreTokenizer{}, errors.New("missing; a byte-level BPE needs ByteLevel")
	}
	var p typedJSON
	if err := json.Unmarshal(raw, &p); err != nil {
		return PreTokenizer{}, err
	}
	switch p.Type {
	case "ByteLevel":
		return PreTokenizer{}, checkByteLevel(p)
	case "Sequence":
		if len(p.Pretokenizers) != 2 || p.Pretokenizers[0].Type != "Split" {
			return PreTokenizer{}, errors.New("Sequence: only [Split(\\p{Han}...), ByteLevel] is supported")
		}
		s := p.Pretokenizers[0]
		var pat struct{ Regex string }
		if err := json.Unmarshal(s.Pattern, &pat); err != nil || s.Behavior != "Isolated" || s.Invert {
			return PreTokenizer{}, errors.New("Split: only an Isolated \\p{Han} regex is supported")
		}
		sm := hanRegex.FindStringSubmatch(pat.Regex)
		if sm == nil {
			return PreTokenizer{}, fmt.Errorf("Split: regex %q is not supported (want \\p{Han} or \\p{Han}{1,K})", pat.Regex)
		}
		k := 1
		if sm[1] != "" {
			k, _ = strconv.Atoi(sm[1])
			if k < 1 {
				return PreTokenizer{}, fmt.Errorf("Split: regex %q: run length must be at least 1", pat.Regex)
			}
		}
		return PreTokenizer{HanChunk: k}, checkByteLevel(p.Pretokenizers[1])
	}
	return PreTokenizer{}, fmt.Errorf("type %q is not supported (want ByteLevel)", p.Type)
}

func checkByteLevel(p typedJSON) error {
	switch {
	case p.Type != "ByteLevel":
		return fmt.Errorf("type %q is not supported (want ByteLevel)", p.Type)
	case p.AddPrefixSpace:
		return errors.New("ByteLevel.add_prefix_space: true is not supported")
	case p.UseRegex != nil && !*p.UseRegex:
		return errors.New("ByteLevel.use_regex: false is not supported")
	}
	return nil
}
