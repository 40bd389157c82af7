package pii

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// TestConfigHCL decodes a block body over DefaultConfig.
func TestConfigHCL(t *testing.T) {
	src := []byte("entities = [\"email\", \"phone\", \"ip\", \"cn_id\"]\nreplace = \"hash\"\nsalt = \"s\"\n")
	f, diags := hclsyntax.ParseConfig(src, "pii.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := DefaultConfig()
	if diags := gohcl.DecodeBody(f.Body, nil, &cfg); diags.HasErrors() {
		t.Fatal(diags)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Field != "text" || cfg.Replace != ReplaceHash || !p.on[Email] || !p.on[CNID] || p.on[CreditCard] {
		t.Errorf("got %+v, entities %v", cfg, p.on)
	}
}
