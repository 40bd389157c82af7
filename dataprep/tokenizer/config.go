package tokenizer

import (
	"fmt"
	"unicode/utf8"
)

// Config controls training. Its hcl tags match the pipeline block
// `tokenizer "NAME" { vocab_size = 8192 ... }`.
type Config struct {
	// VocabSize is the final number of ids: special tokens, the 256 byte
	// tokens and the learned merges.
	VocabSize int `hcl:"vocab_size,optional"`
	// MinFrequency stops training when the most frequent pair occurs fewer
	// times than this in the corpus.
	MinFrequency int `hcl:"min_frequency,optional"`
	// SpecialTokens take the first ids, in order.
	SpecialTokens []string `hcl:"special_tokens,optional"`
	// HanChunk is the longest run of Han characters kept in one pre-token
	// (see the package doc); 0 keeps plain GPT-2 pre-tokenization.
	HanChunk int `hcl:"han_chunk,optional"`
	// MaxBytes stops reading the training corpus after this many bytes of
	// text (0 reads all of it).
	MaxBytes int64 `hcl:"max_bytes,optional"`
}

// DefaultConfig returns the documented defaults: 8192 ids, pairs seen at
// least twice, the four DefaultSpecialTokens, Han characters isolated.
func DefaultConfig() Config {
	return Config{
		VocabSize:     8192,
		MinFrequency:  2,
		SpecialTokens: append([]string(nil), DefaultSpecialTokens...),
		HanChunk:      1,
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.VocabSize < len(c.SpecialTokens)+256 || c.VocabSize > maxVocab {
		return fmt.Errorf("vocab_size: %d must lie in [%d, %d] (special tokens + 256 bytes)",
			c.VocabSize, len(c.SpecialTokens)+256, maxVocab)
	}
	if c.MinFrequency < 0 {
		return fmt.Errorf("min_frequency: %d must not be negative", c.MinFrequency)
	}
	if c.HanChunk < 0 || c.HanChunk > 64 {
		return fmt.Errorf("han_chunk: %d must lie in [0, 64]", c.HanChunk)
	}
	if c.MaxBytes < 0 {
		return fmt.Errorf("max_bytes: %d must not be negative", c.MaxBytes)
	}
	seen := map[string]bool{}
	for i, s := range c.SpecialTokens {
		switch {
		case s == "":
			return fmt.Errorf("special_tokens[%d]: empty token", i)
		case !utf8.ValidString(s):
			return fmt.Errorf("special_tokens[%d]: %q is not valid UTF-8", i, s)
		case isByteToken(s):
			return fmt.Errorf("special_tokens[%d]: %q would shadow a byte token", i, s)
		case seen[s]:
			return fmt.Errorf("special_tokens[%d]: %q appears twice", i, s)
		}
		seen[s] = true
	}
	return nil
}

func isByteToken(s string) bool {
	for _, b := range byteStrings {
		if s == b {
			return true
		}
	}
	return false
}
