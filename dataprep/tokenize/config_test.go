package tokenize

import (
	"slices"
	"testing"

	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// TestConfigHCL decodes both node bodies the way the pipeline does: into the
// defaults, so omitted attributes keep them.
func TestConfigHCL(t *testing.T) {
	f, diags := hclparse.NewParser().ParseHCL([]byte(`
block_size   = 128
pack         = false
val_fraction = 0.05
seed         = 3
`), "tokenize.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := DefaultConfig()
	if diags := gohcl.DecodeBody(f.Body, nil, &cfg); diags.HasErrors() {
		t.Fatal(diags)
	}
	want := DefaultConfig()
	want.BlockSize, want.Pack, want.ValFraction, want.Seed = 128, false, 0.05, 3
	if cfg != want {
		t.Errorf("got %+v, want %+v", cfg, want)
	}

	f, diags = hclparse.NewParser().ParseHCL([]byte(`
vocab_size     = 4096
min_frequency  = 3
special_tokens = ["<|endoftext|>", "<|pad|>"]
`), "tokenizer.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	tc := tokenizer.DefaultConfig()
	if diags := gohcl.DecodeBody(f.Body, nil, &tc); diags.HasErrors() {
		t.Fatal(diags)
	}
	if tc.VocabSize != 4096 || tc.MinFrequency != 3 || tc.HanChunk != 1 ||
		!slices.Equal(tc.SpecialTokens, []string{"<|endoftext|>", "<|pad|>"}) {
		t.Errorf("got %+v", tc)
	}
}
