package dedup

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestConfigHCL decodes a block body over DefaultConfig: given attributes
// change, the others keep their defaults.
func TestConfigHCL(t *testing.T) {
	src := []byte("method = \"minhash\"\nshingle_size = 5\nbands = 14\nrows = 8\nthreshold = 0.8\n")
	f, diags := hclsyntax.ParseConfig(src, "dedup.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := DefaultConfig()
	if diags := gohcl.DecodeBody(f.Body, nil, &cfg); diags.HasErrors() {
		t.Fatal(diags)
	}
	want := DefaultConfig()
	want.ShingleSize, want.Bands, want.Rows, want.Threshold = 5, 14, 8, 0.8
	if cfg.ShingleSize != want.ShingleSize || cfg.Bands != 14 || cfg.Rows != 8 || cfg.Threshold != 0.8 ||
		cfg.Permutations != want.Permutations || cfg.CJKShingleSize != want.CJKShingleSize || cfg.Field != "text" {
		t.Errorf("got %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}
