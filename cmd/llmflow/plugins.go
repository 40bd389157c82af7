package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/pipeline/pluginhost"
	"github.com/llmflow/llmflow/plugins/builtin"
)

var pluginsCmd = &cobra.Command{
	Use:   "plugins",
	Short: "List and lock the stage plugins a pipeline uses",
}

var pluginsListCmd = &cobra.Command{
	Use:   "list [PIPELINE]",
	Short: "Show every stage plugin: built-ins and the plugin blocks of PIPELINE (a file or directory, default .)",
	Long: `Starts each plugin once and shows its name, version, source, binary sha256
and negotiated protocol version. External plugins are checked against the lock
file (` + pluginhost.LockFileName + `) but the lock is not written.`,
	Args: cobra.MaximumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		specs, lockPath, err := pluginSpecs(args)
		if err != nil {
			return err
		}
		lock, diags := pluginhost.ReadLock(lockPath)
		if diags.HasErrors() {
			return diags
		}
		host := pluginhost.New()
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		if !pluginsListJSON {
			fmt.Fprintln(w, "NAME\tVERSION\tSOURCE\tSHA256\tPROTOCOL")
		}
		var failed []string
		ids := []pluginJSON{}
		for _, spec := range specs {
			if _, err := host.Pin(lock, &spec); err != nil {
				failed = append(failed, err.Error())
				continue
			}
			c, err := host.Open(cmd.Context(), spec)
			if err != nil {
				failed = append(failed, err.Error())
				continue
			}
			id := c.Identity()
			c.Close()
			ids = append(ids, pluginJSON{id.Name, id.Version, id.Source, id.Path, id.SHA256, id.Protocol})
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\n", id.Name, id.Version, id.Source, id.SHA256, id.Protocol)
		}
		if pluginsListJSON {
			if err := writeJSON(cmd.OutOrStdout(), ids); err != nil {
				return err
			}
		} else {
			w.Flush()
		}
		if len(failed) > 0 {
			return fmt.Errorf("%s", strings.Join(failed, "\n"))
		}
		return nil
	},
}

var pluginsLockCmd = &cobra.Command{
	Use:   "lock [PIPELINE]",
	Short: "Pin the sha256 of every external plugin of PIPELINE in " + pluginhost.LockFileName,
	Long: `Hashes the binary of every external plugin block of PIPELINE (a file or
directory, default .) and writes the lock file beside it, replacing pins whose
binary changed and dropping plugins no block mentions. A checksum written in a
plugin block wins over the binary's current hash.`,
	Args: cobra.MaximumNArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		specs, lockPath, err := pluginSpecs(args)
		if err != nil {
			return err
		}
		host := pluginhost.New()
		lock := pluginhost.NewLock()
		for _, spec := range specs {
			if spec.IsBuiltin() {
				continue
			}
			sum := spec.Checksum
			if sum == "" {
				if sum, err = host.Checksum(spec); err != nil {
					return err
				}
			}
			lock.Set(pluginhost.LockedPlugin{Name: spec.Name, Source: spec.Source, Checksum: sum})
			fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%s\n", spec.Name, spec.Source, sum)
		}
		return lock.Write(lockPath)
	},
}

var pluginsListJSON bool

// pluginJSON is a row of plugins list --json.
type pluginJSON struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Source   string `json:"source"`
	Path     string `json:"path"`
	SHA256   string `json:"sha256"`
	Protocol int    `json:"protocol"`
}

func init() {
	pluginsListCmd.Flags().BoolVar(&pluginsListJSON, "json", false, "print JSON")
	pluginsCmd.AddCommand(pluginsListCmd, pluginsLockCmd)
	rootCmd.AddCommand(pluginsCmd)
}

// pluginSpecs returns the built-in stages followed by the plugin blocks of
// the pipeline named by args, and the lock file path beside it. A plugin
// block that names a built-in replaces the default entry.
func pluginSpecs(args []string) ([]pluginhost.PluginSpec, string, error) {
	target := "."
	if len(args) == 1 {
		target = args[0]
	}
	files, dir, err := pipelineFiles(target)
	if err != nil {
		return nil, "", err
	}
	byName := map[string]pluginhost.PluginSpec{}
	for _, n := range builtin.Names() {
		byName[n] = pluginhost.PluginSpec{Name: n, Source: pluginhost.SourceBuiltin}
	}
	blocks, diags := readPluginBlocks(files, dir)
	if diags.HasErrors() {
		return nil, "", diags
	}
	for _, s := range blocks {
		byName[s.Name] = s
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	specs := make([]pluginhost.PluginSpec, 0, len(names))
	for _, n := range names {
		specs = append(specs, byName[n])
	}
	return specs, filepath.Join(dir, pluginhost.LockFileName), nil
}

// pipelineFiles lists the .hcl files of a pipeline file or directory.
func pipelineFiles(target string) ([]string, string, error) {
	fi, err := os.Stat(target)
	if err != nil {
		return nil, "", err
	}
	if !fi.IsDir() {
		return []string{target}, filepath.Dir(target), nil
	}
	matches, err := filepath.Glob(filepath.Join(target, "*.hcl"))
	if err != nil {
		return nil, "", err
	}
	var files []string
	for _, m := range matches {
		if filepath.Base(m) != pluginhost.LockFileName {
			files = append(files, m)
		}
	}
	return files, target, nil
}

var pluginBlockSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{{Type: "plugin", LabelNames: []string{"name"}}}}

var pluginAttrSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "source"}, {Name: "checksum"}, {Name: "env"},
}}

// readPluginBlocks reads only the plugin blocks of the files; the rest of
// the pipeline language is not needed to pin binaries.
func readPluginBlocks(files []string, dir string) ([]pluginhost.PluginSpec, hcl.Diagnostics) {
	p := hclparse.NewParser()
	var specs []pluginhost.PluginSpec
	var diags hcl.Diagnostics
	for _, fn := range files {
		f, ds := p.ParseHCLFile(fn)
		diags = append(diags, ds...)
		if f == nil {
			continue
		}
		content, _, ds := f.Body.PartialContent(pluginBlockSchema)
		diags = append(diags, ds...)
		for _, b := range content.Blocks {
			attrs, _, ds := b.Body.PartialContent(pluginAttrSchema)
			diags = append(diags, ds...)
			spec := pluginhost.PluginSpec{Name: b.Labels[0], Source: pluginhost.SourceBuiltin, Dir: dir}
			if a, ok := attrs.Attributes["source"]; ok {
				spec.Source = stringAttr(a, &diags)
			}
			if a, ok := attrs.Attributes["checksum"]; ok {
				spec.Checksum = stringAttr(a, &diags)
			}
			if a, ok := attrs.Attributes["env"]; ok {
				v, ds := a.Expr.Value(nil)
				diags = append(diags, ds...)
				if !ds.HasErrors() && v.CanIterateElements() {
					for it := v.ElementIterator(); it.Next(); {
						_, e := it.Element()
						if e.Type() == cty.String && e.IsKnown() && !e.IsNull() {
							spec.Env = append(spec.Env, e.AsString())
						}
					}
				}
			}
			specs = append(specs, spec)
		}
	}
	return specs, diags
}

func stringAttr(a *hcl.Attribute, diags *hcl.Diagnostics) string {
	v, ds := a.Expr.Value(nil)
	*diags = append(*diags, ds...)
	if ds.HasErrors() {
		return ""
	}
	if v.Type() != cty.String || v.IsNull() || !v.IsKnown() {
		*diags = append(*diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + a.Name,
			Detail: fmt.Sprintf("%s must be a literal string.", a.Name), Subject: a.Expr.Range().Ptr()})
		return ""
	}
	return v.AsString()
}
