package pipeline

import (
	"context"
	"fmt"

	"github.com/hashicorp/hcl/v2"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/preference"
)

// PreferencesConfig is the configuration of a preferences block: records
// of one shape, from JSONL files (path) or a text dataset (the input
// reference), mapped to preference pairs with a seeded held-out split.
type PreferencesConfig struct {
	// Path is a file or glob, relative to the pipeline file; it stays out
	// of the cache key, which holds the files' content instead.
	Path        string            `hcl:"path,optional" json:"-"`
	Shape       string            `hcl:"shape" json:"shape"`
	Fields      map[string]string `hcl:"fields,optional" json:"fields,omitempty"`
	IDField     string            `hcl:"id_field,optional" json:"id_field"`
	OnError     string            `hcl:"on_error,optional" json:"on_error"`
	RankedPairs string            `hcl:"ranked_pairs,optional" json:"ranked_pairs"`
	ValFraction float64           `hcl:"val_fraction,optional" json:"val_fraction"`
}

func (c *PreferencesConfig) mapping() preference.Config {
	return preference.Config{Shape: c.Shape, Fields: c.Fields, IDField: c.IDField, OnError: c.OnError,
		RankedPairs: c.RankedPairs, ValFraction: c.ValFraction}
}

func init() {
	RegisterBlockType(BlockType{
		Name:   "preferences",
		Doc:    "map prompt/chosen/rejected, Anthropic HH or ranked records to preference pairs with a held-out split",
		Inputs: []Port{{Name: "input", Kind: artifact.KindText, Doc: "a text dataset whose columns hold the records' fields"}},
		Outputs: []Port{
			{Name: "data", Kind: artifact.KindPreference, Doc: "the pairs of the records not held out"},
			{Name: "val", Kind: artifact.KindPreference, Doc: "the pairs of the val_fraction of records held out"},
		},
		NewConfig: func() any {
			d := preference.DefaultConfig()
			return &PreferencesConfig{IDField: d.IDField, OnError: d.OnError, RankedPairs: d.RankedPairs}
		},
		Validate: func(cfg any) error { return cfg.(*PreferencesConfig).mapping().Validate() },
		Complete: func(cfg any, n *Node) hcl.Diagnostics {
			return checkPathOrInput(cfg.(*PreferencesConfig).Path, n)
		},
		Sources: func(cfg any, dir string) ([]string, error) {
			if p := cfg.(*PreferencesConfig).Path; p != "" {
				return globSources(p, dir)
			}
			return nil, nil
		},
		EmptyHint: preferencesEmptyHint,
		Run:       runPreferences,
	})
}

func preferencesEmptyHint(cfg any, output string) string {
	f := cfg.(*PreferencesConfig).ValFraction
	switch {
	case output == "val" && f == 0:
		return "val_fraction = 0?"
	case output == "val":
		return fmt.Sprintf("val_fraction = %g held out no record; too few records?", f)
	}
	return ""
}

// preferenceOutput is one preference dataset a node is writing.
type preferenceOutput struct {
	st     *artifact.Staging
	w      *preference.Writer
	closed bool
}

func (r *NodeRun) newPreferenceOutput() (*preferenceOutput, error) {
	st, err := r.Store.NewStaging(artifact.KindPreference)
	if err != nil {
		return nil, err
	}
	w, err := preference.NewWriter(st.Dir())
	if err != nil {
		st.Abort()
		return nil, err
	}
	return &preferenceOutput{st: st, w: w}, nil
}

func (o *preferenceOutput) commit() (string, error) {
	o.closed = true
	if err := o.w.Close(); err != nil {
		return "", err
	}
	o.st.SetRows(o.w.Rows())
	o.st.SetSchema(artifact.SchemaString(preference.Schema()))
	m, err := o.st.Commit()
	if err != nil {
		return "", err
	}
	return m.Digest, nil
}

// abort drops an output that will not be committed; safe after commit.
func (o *preferenceOutput) abort() {
	if !o.closed {
		o.w.Abort()
	}
	o.st.Abort()
}

func runPreferences(ctx context.Context, run *NodeRun) (map[string]string, error) {
	c := run.Config.(*PreferencesConfig)
	outs := map[string]*preferenceOutput{}
	for _, name := range []string{"data", "val"} {
		o, err := run.newPreferenceOutput()
		if err != nil {
			return nil, err
		}
		defer o.abort()
		outs[name] = o
	}
	var stats preference.Stats
	var err error
	if c.Path != "" {
		var paths []string
		if paths, err = globSources(c.Path, run.Dir); err != nil {
			return nil, err
		}
		stats, err = preference.Ingest(ctx, paths, outs["data"].w, outs["val"].w, c.mapping(), run.Seed)
	} else {
		var in *artifact.Dataset
		if in, err = run.inputDataset("input"); err != nil {
			return nil, err
		}
		stats, err = preference.FromDataset(ctx, in, outs["data"].w, outs["val"].w, c.mapping(), run.Seed)
	}
	if err != nil {
		return nil, err
	}
	run.Metrics(stats.Metrics())
	for _, ex := range stats.Examples {
		run.Log("skipped " + ex)
	}
	digests := map[string]string{}
	for name, o := range outs {
		if digests[name], err = o.commit(); err != nil {
			return nil, err
		}
	}
	return digests, nil
}
