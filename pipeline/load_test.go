package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

func TestGraphEdges(t *testing.T) {
	cfg, diags := LoadFile("testdata/valid/basic.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var got []string
	for _, e := range cfg.Graph.Edges() {
		got = append(got, e.From+"->"+e.To)
	}
	want := "dataset.web->dataset.wiki dataset.web->stage.base dataset.wiki->stage.base"
	if strings.Join(got, " ") != want {
		t.Fatalf("edges %v", got)
	}
}

func TestVariableSources(t *testing.T) {
	src := []byte(`
variable "seed" {
  type    = number
  default = 1
}
variable "name" {
  default = "a"
}
variable "tags" {
  type    = list(string)
  default = []
}
variable "key" {
  type      = string
  sensitive = true
}
dataset "d" {
  path = "${var.name}.jsonl"
  seed = var.seed
  text_field = var.key
}
`)
	cfg, diags := Load("p.hcl", src)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	dir := t.TempDir()
	vf := filepath.Join(dir, "v.hcl")
	os.WriteFile(vf, []byte("seed = 5\nname = \"file\"\n"), 0o644)
	in := VarInputs{
		Env:   []string{"LLMFLOW_VAR_seed=3", "LLMFLOW_VAR_key=hunter2", "LLMFLOW_VAR_other=x"},
		Files: []string{vf},
		Args:  []string{"name=cli", `tags=["a","b"]`},
	}
	exprs, diags := in.Values(cfg)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b, diags := cfg.Bind(exprs)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if v, _ := b.Vars["seed"].AsBigFloat().Int64(); v != 5 {
		t.Errorf("seed %d, want the var-file value 5", v)
	}
	if b.Vars["name"].AsString() != "cli" || b.Vars["tags"].LengthInt() != 2 {
		t.Errorf("vars %#v", b.Vars)
	}
	if !b.Vars["key"].IsMarked() {
		t.Error("sensitive variable not marked")
	}
	d := b.Nodes["dataset.d"]
	if d.Seed != 5 || d.Decoded.(*DatasetConfig).Path != "cli.jsonl" {
		t.Errorf("node %+v", d.Decoded)
	}
	if d.Params["text_field"] != Redacted || d.Params["path"] != `"cli.jsonl"` {
		t.Errorf("params %v", d.Params)
	}
	if !strings.Contains(string(d.Canonical), "hunter2") {
		t.Error("canonical config must hold the real value for the cache key")
	}
}

func TestVariableErrors(t *testing.T) {
	cfg, _ := Load("p.hcl", []byte(`variable "req" { type = number }`))
	_, diags := VarInputs{Args: []string{"rq=1", "novalue"}}.Values(cfg)
	if len(diags) != 2 || !strings.Contains(diags[0].Detail, `Did you mean "req"?`) {
		t.Fatalf("%v", diags)
	}
	_, diags = cfg.Bind(nil)
	if !diags.HasErrors() || diags[0].Summary != "Missing value for variable req" {
		t.Fatalf("%v", diags)
	}
	_, diags = cfg.Bind(map[string]hcl.Expression{"req": hcl.StaticExpr(cty.StringVal("x"), hcl.Range{})})
	if !diags.HasErrors() || diags[0].Summary != "Invalid value for variable req" {
		t.Fatalf("%v", diags)
	}
}

func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.hcl")
	for _, p := range files {
		src, _ := os.ReadFile(p)
		f.Add(src)
	}
	f.Add([]byte(`stage "a" "b" { x = stage.b  config { y = var.z } }`))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, diags := Load("fuzz.hcl", src)
		if cfg == nil {
			t.Fatal("nil config")
		}
		if !diags.HasErrors() {
			cfg.Bind(nil)
		}
	})
}

func BenchmarkLoadBind(b *testing.B) {
	src, err := os.ReadFile("../examples/quickstart/pipeline.hcl")
	if err != nil {
		b.Skip("quickstart pipeline not found")
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		cfg, diags := Load("pipeline.hcl", src)
		if diags.HasErrors() {
			b.Fatal(diags)
		}
		if _, diags := cfg.Bind(nil); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}
