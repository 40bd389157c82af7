package pipeline

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/llmflow/llmflow/internal/diag"
)

// LoadFile reads and loads a pipeline file; relative paths inside it resolve
// against the file's directory.
func LoadFile(path string) (*Config, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Cannot read pipeline file",
			Detail:   fmt.Sprintf("Reading %s failed: %s.", path, err),
		}}
	}
	return Load(path, src)
}

// Load parses and statically checks a pipeline. It always returns a Config
// (possibly partial) so that callers can keep reporting; the diagnostics
// list every problem found. It never touches the file system.
func Load(filename string, src []byte) (*Config, hcl.Diagnostics) {
	cfg := &Config{
		Filename:  filename,
		Dir:       filepath.Dir(filename),
		Source:    src,
		Variables: map[string]*Variable{},
		Locals:    map[string]*Local{},
		Plugins:   map[string]*Plugin{},
		Executors: map[string]*Executor{},
		Nodes:     map[string]*Node{},
		Outputs:   map[string]*Output{},
	}
	file, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return cfg, diags
	}
	content, d := file.Body.Content(topSchema())
	diags = append(diags, d...)
	for _, block := range content.Blocks {
		diags = append(diags, cfg.decodeBlock(block)...)
	}
	diags = append(diags, cfg.resolve()...)
	return cfg, diags
}

func topSchema() *hcl.BodySchema {
	s := &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
		{Type: "variable", LabelNames: []string{"name"}},
		{Type: "locals"},
		{Type: "plugin", LabelNames: []string{"name"}},
		{Type: "executor", LabelNames: []string{"name"}},
		{Type: "stage", LabelNames: []string{"kind", "name"}},
		{Type: "output", LabelNames: []string{"name"}},
	}}
	for _, name := range BlockTypes() {
		s.Blocks = append(s.Blocks, hcl.BlockHeaderSchema{Type: name, LabelNames: []string{"name"}})
	}
	return s
}

func (c *Config) decodeBlock(block *hcl.Block) hcl.Diagnostics {
	switch block.Type {
	case "variable":
		v, diags := decodeVariable(block)
		return append(diags, c.addVariable(v)...)
	case "locals":
		return c.decodeLocals(block)
	case "plugin":
		p, diags := decodePlugin(block)
		return append(diags, c.addPlugin(p)...)
	case "executor":
		e, diags := decodeExecutor(block)
		return append(diags, c.addExecutor(e)...)
	case "output":
		o, diags := decodeOutput(block)
		return append(diags, c.addOutput(o)...)
	case "stage":
		n, diags := decodeStage(block)
		return append(diags, c.addNode(n)...)
	}
	bt, ok := LookupBlockType(block.Type)
	if !ok {
		return hcl.Diagnostics{bugDiag("no decoder for block type %q", block.Type)}
	}
	n, diags := decodeBuiltinNode(bt, block)
	return append(diags, c.addNode(n)...)
}

func duplicate(what, name string, prev, cur hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("Duplicate %s %q", what, name),
		Detail:   fmt.Sprintf("A %s named %q was already declared at %s. Names must be unique; rename or remove one.", what, name, prev),
		Subject:  cur.Ptr(),
	}
}

func (c *Config) addVariable(v *Variable) hcl.Diagnostics {
	if v == nil {
		return nil
	}
	if prev, ok := c.Variables[v.Name]; ok {
		return hcl.Diagnostics{duplicate("variable", v.Name, prev.DeclRange, v.DeclRange)}
	}
	c.Variables[v.Name] = v
	return nil
}

func (c *Config) addPlugin(p *Plugin) hcl.Diagnostics {
	if p == nil {
		return nil
	}
	if prev, ok := c.Plugins[p.Name]; ok {
		return hcl.Diagnostics{duplicate("plugin", p.Name, prev.DeclRange, p.DeclRange)}
	}
	c.Plugins[p.Name] = p
	return nil
}

func (c *Config) addOutput(o *Output) hcl.Diagnostics {
	if o == nil {
		return nil
	}
	if prev, ok := c.Outputs[o.Name]; ok {
		return hcl.Diagnostics{duplicate("output", o.Name, prev.DeclRange, o.DeclRange)}
	}
	c.Outputs[o.Name] = o
	return nil
}

func (c *Config) addNode(n *Node) hcl.Diagnostics {
	if n == nil {
		return nil
	}
	if prev, ok := c.Nodes[n.Addr]; ok {
		return hcl.Diagnostics{duplicate(n.Type, n.Addr, prev.DeclRange, n.DeclRange)}
	}
	c.Nodes[n.Addr] = n
	return nil
}

func (c *Config) decodeLocals(block *hcl.Block) hcl.Diagnostics {
	attrs, diags := block.Body.JustAttributes()
	for _, name := range sortedKeys(attrs) {
		a := attrs[name]
		if _, dup := c.Locals[name]; dup {
			diags = append(diags, duplicate("local value", name, c.Locals[name].Expr.Range(), a.NameRange))
			continue
		}
		c.Locals[name] = &Local{Name: name, Expr: a.Expr}
	}
	return diags
}

func bugDiag(format string, args ...any) *hcl.Diagnostic { return diag.Bug(format, args...) }
