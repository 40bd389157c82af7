package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/llmflow/llmflow/pipeline/pluginhost"
	"github.com/llmflow/llmflow/plugins/sdk"
)

var pluginsSchemaJSON bool

var pluginsSchemaCmd = &cobra.Command{
	Use:   "schema NAME [PIPELINE]",
	Short: "Print a stage plugin's config attributes (type, default, doc), inputs and outputs",
	Long: `NAME is a built-in stage (pretrain, sft, peft, eval, ...) or a plugin block of
PIPELINE (a file or directory, default .). The plugin is started once to
describe itself, so what is printed is what plan checks a config block against.`,
	Args: cobra.RangeArgs(1, 2),
	RunE: func(cmd *cobra.Command, args []string) error {
		specs, lockPath, err := pluginSpecs(args[1:])
		if err != nil {
			return err
		}
		var spec *pluginhost.PluginSpec
		var names []string
		for i := range specs {
			names = append(names, specs[i].Name)
			if specs[i].Name == args[0] {
				spec = &specs[i]
			}
		}
		if spec == nil {
			return fmt.Errorf("no stage plugin %q (known: %s): %w", args[0], strings.Join(names, ", "), errNotFound)
		}
		lock, diags := pluginhost.ReadLock(lockPath)
		if diags.HasErrors() {
			return diags
		}
		host := pluginhost.New()
		if _, err := host.Pin(lock, spec); err != nil {
			return err
		}
		c, err := host.Open(cmd.Context(), *spec)
		if err != nil {
			return err
		}
		defer c.Close()
		d := c.Describe()
		if pluginsSchemaJSON {
			return writeJSON(cmd.OutOrStdout(), schemaJSON(d))
		}
		writeSchema(cmd.OutOrStdout(), d)
		return nil
	},
}

func init() {
	pluginsSchemaCmd.Flags().BoolVar(&pluginsSchemaJSON, "json", false, "print JSON")
	pluginsCmd.AddCommand(pluginsSchemaCmd)
}

type attributeJSON struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	Required  bool   `json:"required,omitempty"`
	Default   string `json:"default,omitempty"`
	Sensitive bool   `json:"sensitive,omitempty"`
	Doc       string `json:"doc,omitempty"`
}

type portJSON struct {
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Optional bool   `json:"optional,omitempty"`
	Doc      string `json:"doc,omitempty"`
}

func schemaJSON(d *sdk.Description) any {
	out := struct {
		Name    string          `json:"name"`
		Version string          `json:"version"`
		Doc     string          `json:"doc,omitempty"`
		Config  []attributeJSON `json:"config"`
		Inputs  []portJSON      `json:"inputs"`
		Outputs []portJSON      `json:"outputs"`
	}{Name: d.Name, Version: d.Version, Doc: d.Doc}
	for _, a := range d.Config {
		out.Config = append(out.Config, attributeJSON{a.Name, a.Type.FriendlyName(), a.Required, defaultString(a), a.Sensitive, a.Doc})
	}
	for _, p := range d.Inputs {
		out.Inputs = append(out.Inputs, portJSON{p.Name, p.Kind, p.Optional, p.Doc})
	}
	for _, p := range d.Outputs {
		out.Outputs = append(out.Outputs, portJSON{p.Name, p.Kind, p.Optional, p.Doc})
	}
	return out
}

// defaultString renders a default as HCL would spell it; "" when none.
func defaultString(a sdk.Attribute) string {
	if a.Default == cty.NilVal || a.Default.IsNull() {
		return ""
	}
	v := a.Default
	switch {
	case v.Type() == cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case v.Type() == cty.Number:
		return v.AsBigFloat().Text('g', -1)
	case v.Type() == cty.Bool:
		return fmt.Sprint(v.True())
	}
	if js, err := ctyjson.Marshal(v, v.Type()); err == nil {
		return string(js)
	}
	return v.GoString()
}

func writeSchema(w io.Writer, d *sdk.Description) {
	fmt.Fprintf(w, "%s %s\n", d.Name, d.Version)
	if d.Doc != "" {
		fmt.Fprintf(w, "%s\n", d.Doc)
	}
	fmt.Fprintln(w, "\nInputs:")
	writePorts(w, d.Inputs)
	fmt.Fprintln(w, "\nOutputs:")
	writePorts(w, d.Outputs)
	fmt.Fprintln(w, "\nConfig attributes:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tTYPE\tDEFAULT\tDOC")
	for _, a := range d.Config {
		def := defaultString(a)
		if a.Required {
			def = "(required)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", a.Name, a.Type.FriendlyName(), def, a.Doc)
	}
	tw.Flush()
}

func writePorts(w io.Writer, ps []sdk.Port) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range ps {
		opt := ""
		if p.Optional {
			opt = "optional"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Name, p.Kind, opt, p.Doc)
	}
	tw.Flush()
}
