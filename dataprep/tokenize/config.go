package tokenize

import (
	"fmt"
	"math"
	"strconv"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// Config configures the tokenize node. Its hcl tags match the pipeline block
// `tokenize "NAME" { block_size = 1024 ... }`; attributes left out keep the
// value they had, so decode into DefaultConfig(). The input and tokenizer
// references are resolved by the pipeline, not by this struct.
type Config struct {
	// BlockSize is the model context length; packed rows hold BlockSize+1
	// tokens (see the package doc).
	BlockSize int `hcl:"block_size,optional"`
	// Pack concatenates documents into full rows; false gives each document
	// its own rows.
	Pack bool `hcl:"pack,optional"`
	// ValFraction is the share of documents sent to validation, in [0, 1).
	ValFraction float64 `hcl:"val_fraction,optional"`
	// Seed selects the train/validation split.
	Seed int64 `hcl:"seed,optional"`
	// EOTToken is the added token written after every document.
	EOTToken string `hcl:"eot_token,optional"`
	// DropLast drops a final row shorter than BlockSize+1 tokens.
	DropLast bool `hcl:"drop_last,optional"`
	// Field and IDField name the text and id columns.
	Field   string `hcl:"field,optional"`
	IDField string `hcl:"id_field,optional"`
	// Workers bounds the encoding goroutines; 0 means GOMAXPROCS. The output
	// does not depend on it.
	Workers int `hcl:"workers,optional" json:"-"` // not part of a cache key: the output does not depend on it
}

// DefaultConfig returns the documented defaults: GPT-2's 1024-token context,
// packing on, 1% validation, seed 0, "<|endoftext|>" between documents.
func DefaultConfig() Config {
	return Config{
		BlockSize:   1024,
		Pack:        true,
		ValFraction: 0.01,
		EOTToken:    "<|endoftext|>",
		Field:       "text",
		IDField:     "id",
	}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.BlockSize < 1 || c.BlockSize > 1<<24:
		return fmt.Errorf("block_size: %d must lie in [1, %d]", c.BlockSize, 1<<24)
	case math.IsNaN(c.ValFraction) || c.ValFraction < 0 || c.ValFraction >= 1:
		return fmt.Errorf("val_fraction: %v must lie in [0, 1)", c.ValFraction)
	case c.EOTToken == "":
		return fmt.Errorf("eot_token: must name an added token such as \"<|endoftext|>\"")
	case c.Field == "":
		return fmt.Errorf("field: must name the text column")
	case c.Workers < 0:
		return fmt.Errorf("workers: %d must not be negative", c.Workers)
	}
	return nil
}

// Meta returns the manifest metadata of the token datasets Run writes with
// tok and cfg, so a consumer can check them against its model without
// opening the tokenizer.
func Meta(tok *tokenizer.Tokenizer, cfg Config) map[string]string {
	eot, _ := tok.SpecialID(cfg.EOTToken)
	return map[string]string{
		"block_size": strconv.Itoa(cfg.BlockSize),
		"row_tokens": strconv.Itoa(cfg.BlockSize + 1),
		"pack":       strconv.FormatBool(cfg.Pack),
		"vocab_size": strconv.Itoa(tok.VocabSize()),
		"eot_id":     strconv.Itoa(int(eot)),
		"eot_token":  cfg.EOTToken,
	}
}
