package pluginhost

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// LockFileName is the lock file kept beside a pipeline.
const LockFileName = ".llmflow.lock.hcl"

const lockHeader = `# This file is maintained by llmflow: it pins the sha256 of every external
# plugin on first use. Refresh it with "llmflow plugins lock". Commit it.
`

// LockedPlugin is one pinned external plugin.
type LockedPlugin struct {
	Name     string
	Source   string // as written in the plugin block
	Checksum string // "sha256:<hex>"
}

// Lock is the content of a lock file. Not safe for concurrent mutation.
type Lock struct {
	plugins map[string]LockedPlugin
}

// NewLock returns an empty lock.
func NewLock() *Lock { return &Lock{plugins: map[string]LockedPlugin{}} }

var lockSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "plugin", LabelNames: []string{"name"}}}}

var lockPluginSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "source", Required: true},
	{Name: "checksum", Required: true},
}}

// ReadLock reads a lock file; a missing file is an empty lock.
func ReadLock(path string) (*Lock, hcl.Diagnostics) {
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return NewLock(), nil
	}
	if err != nil {
		return NewLock(), hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot read lock file", Detail: err.Error()}}
	}
	return ParseLock(src, path)
}

// ParseLock parses lock file source. It reports every problem at once and
// returns the entries it could read.
func ParseLock(src []byte, filename string) (*Lock, hcl.Diagnostics) {
	l := NewLock()
	f, diags := hclsyntax.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return l, diags
	}
	content, ds := f.Body.Content(lockSchema)
	diags = append(diags, ds...)
	for _, b := range content.Blocks {
		p, ds := decodeLockBlock(b)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		if _, dup := l.plugins[p.Name]; dup {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate plugin in lock file",
				Detail:  fmt.Sprintf("Plugin %q is locked twice. Delete one block or run \"llmflow plugins lock\".", p.Name),
				Subject: b.DefRange.Ptr(),
			})
			continue
		}
		l.plugins[p.Name] = p
	}
	return l, diags
}

func decodeLockBlock(b *hcl.Block) (LockedPlugin, hcl.Diagnostics) {
	p := LockedPlugin{Name: b.Labels[0]}
	content, diags := b.Body.Content(lockPluginSchema)
	if diags.HasErrors() {
		return p, diags
	}
	for _, name := range []string{"source", "checksum"} {
		attr := content.Attributes[name]
		v, ds := attr.Expr.Value(nil)
		diags = append(diags, ds...)
		if ds.HasErrors() {
			continue
		}
		if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + name,
				Detail: fmt.Sprintf("The %s of plugin %q must be a string.", name, p.Name), Subject: attr.Expr.Range().Ptr()})
			continue
		}
		if name == "source" {
			p.Source = v.AsString()
			continue
		}
		p.Checksum = v.AsString()
		if _, err := ParseChecksum(p.Checksum); err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid checksum",
				Detail: err.Error() + ".", Subject: attr.Expr.Range().Ptr()})
		}
	}
	return p, diags
}

// Get returns the entry for name.
func (l *Lock) Get(name string) (LockedPlugin, bool) {
	p, ok := l.plugins[name]
	return p, ok
}

// Set records p and reports whether the lock changed.
func (l *Lock) Set(p LockedPlugin) bool {
	old, ok := l.plugins[p.Name]
	l.plugins[p.Name] = p
	return !ok || old != p
}

// Remove drops the entry for name and reports whether there was one.
func (l *Lock) Remove(name string) bool {
	_, ok := l.plugins[name]
	delete(l.plugins, name)
	return ok
}

// Plugins returns all entries sorted by name.
func (l *Lock) Plugins() []LockedPlugin {
	out := make([]LockedPlugin, 0, len(l.plugins))
	for _, p := range l.plugins {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Bytes renders the lock file; equal locks render byte-identical files.
func (l *Lock) Bytes() []byte {
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	for i, p := range l.Plugins() {
		if i > 0 {
			body.AppendNewline()
		}
		b := body.AppendNewBlock("plugin", []string{p.Name}).Body()
		b.SetAttributeValue("source", cty.StringVal(p.Source))
		b.SetAttributeValue("checksum", cty.StringVal(p.Checksum))
	}
	return append([]byte(lockHeader+"\n"), hclwrite.Format(f.Bytes())...)
}

// Write writes the lock file atomically.
func (l *Lock) Write(path string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".llmflow.lock.*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(l.Bytes()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Pin applies the lock to an external plugin's spec and pins it on first
// use. A spec with its own checksum keeps it (Open refuses a mismatch) and
// the lock follows it. A spec without one takes the locked checksum when
// the lock has the plugin with the same source; otherwise (first use, or the
// source changed) the binary is hashed now and the lock records that.
// Built-in plugins are never locked: they are the llmflow binary itself.
// changed reports whether the lock needs writing.
func (h *Host) Pin(l *Lock, spec *PluginSpec) (changed bool, err error) {
	if spec.IsBuiltin() {
		return false, nil
	}
	if spec.Checksum != "" {
		return l.Set(LockedPlugin{Name: spec.Name, Source: spec.Source, Checksum: spec.Checksum}), nil
	}
	if p, ok := l.Get(spec.Name); ok && p.Source == spec.Source {
		spec.Checksum = p.Checksum
		return false, nil
	}
	sum, err := h.Checksum(*spec)
	if err != nil {
		return false, err
	}
	spec.Checksum = sum
	return l.Set(LockedPlugin{Name: spec.Name, Source: spec.Source, Checksum: sum}), nil
}
