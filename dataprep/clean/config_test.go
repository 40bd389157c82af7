package clean

import (
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func TestConfigHCL(t *testing.T) {
	src := `
normalization   = "nfkc"
min_words       = 20
c4              = false
top_ngram_fracs = [0.3, 0.2]
language_column = ""
`
	f, diags := hclsyntax.ParseConfig([]byte(src), "clean.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg := DefaultConfig()
	if diags := gohcl.DecodeBody(f.Body, nil, &cfg); diags.HasErrors() {
		t.Fatal(diags)
	}
	if cfg.Normalization != NormNFKC || cfg.MinWords != 20 || cfg.C4 || len(cfg.TopNgramFracs) != 2 || cfg.LanguageColumn != "" {
		t.Fatalf("decoded %+v", cfg)
	}
	// Attributes left out keep their defaults.
	if cfg.MaxWords != 100000 || !cfg.FineWeb || cfg.Field != "text" || len(cfg.DupNgramFracs) != 6 {
		t.Fatalf("defaults lost: %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidate(t *testing.T) {
	for name, mod := range map[string]func(*Config){
		"normalization": func(c *Config) { c.Normalization = "nfd" },
		"top fracs":     func(c *Config) { c.TopNgramFracs = []float64{1, 1, 1, 1} },
		"dup fracs":     func(c *Config) { c.DupNgramFracs = make([]float64, 7) },
		"workers":       func(c *Config) { c.Workers = -1 },
		"min words":     func(c *Config) { c.MinWords = -1 },
		"drop fraction": func(c *Config) { f := 1.5; c.MaxDropFraction = &f },
	} {
		cfg := DefaultConfig()
		mod(&cfg)
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
