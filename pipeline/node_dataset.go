package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/llmflow/llmflow/artifact"
)

// DatasetConfig is the configuration of a dataset block.
type DatasetConfig struct {
	// Path is a file or glob, relative to the pipeline file. It stays out
	// of the cache key: the files it matches are keyed by content instead.
	Path      string `hcl:"path" json:"-"`
	Format    string `hcl:"format,optional" json:"format"`
	TextField string `hcl:"text_field,optional" json:"text_field"`
	IDField   string `hcl:"id_field,optional" json:"id_field"`
	OnError   string `hcl:"on_error,optional" json:"on_error"`
	TextMode  string `hcl:"text_mode,optional" json:"text_mode"`
}

func init() {
	RegisterBlockType(BlockType{
		Name:      "dataset",
		Doc:       "ingest JSONL, text, Parquet or Arrow files into a text dataset",
		Outputs:   []Port{{Name: "data", Kind: artifact.KindText}},
		NewConfig: func() any { return &DatasetConfig{TextField: "text", IDField: "id", OnError: "fail", TextMode: "line"} },
		Validate:  validateDataset,
		EmptyHint: func(cfg any, _ string) string {
			return fmt.Sprintf("do the files at %q hold any document?", cfg.(*DatasetConfig).Path)
		},
		Sources: datasetSources,
		Run:     runDataset,
	})
}

func validateDataset(cfg any) error {
	c := cfg.(*DatasetConfig)
	switch c.Format {
	case "", artifact.FormatJSONL, artifact.FormatText, artifact.FormatParquet, artifact.FormatArrow:
	default:
		return fmt.Errorf("format %q is not one of jsonl, text, parquet, arrow%s", c.Format,
			didYouMean(c.Format, []string{"jsonl", "text", "parquet", "arrow"}))
	}
	if c.OnError != "fail" && c.OnError != "skip" {
		return fmt.Errorf("on_error must be \"fail\" or \"skip\", not %q", c.OnError)
	}
	if c.TextMode != "line" && c.TextMode != "paragraph" {
		return fmt.Errorf("text_mode must be \"line\" or \"paragraph\", not %q", c.TextMode)
	}
	return nil
}

// datasetSources expands the path glob in sorted order, so the cache key and
// the ingest order do not depend on directory listing order.
func datasetSources(cfg any, dir string) ([]string, error) {
	return globSources(cfg.(*DatasetConfig).Path, dir)
}

// globSources expands a path attribute (a file or glob, relative to the
// pipeline directory) to the files it matches, sorted.
func globSources(path, dir string) ([]string, error) {
	pattern := path
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(dir, pattern)
	}
	paths, err := filepath.Glob(pattern)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", path, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("path %q matches no file", path)
	}
	sort.Strings(paths)
	return paths, nil
}

func runDataset(ctx context.Context, run *NodeRun) (map[string]string, error) {
	c := run.Config.(*DatasetConfig)
	paths, err := datasetSources(c, run.Dir)
	if err != nil {
		return nil, err
	}
	st, err := run.Store.NewStaging(artifact.KindText)
	if err != nil {
		return nil, err
	}
	defer st.Abort() // no-op after a successful commit
	stats, err := artifact.Ingest(ctx, paths, st.Dir(), artifact.IngestOptions{
		Format: c.Format, TextField: c.TextField, IDField: c.IDField, OnError: c.OnError, TextMode: c.TextMode,
	})
	if err != nil {
		return nil, err
	}
	run.Metrics(stats.Metrics())
	st.SetRows(stats.Rows)
	if ds, err := artifact.OpenDataset(st.Dir()); err == nil {
		st.SetSchema(artifact.SchemaString(ds.Schema())) // extra columns pass through
	}
	m, err := st.Commit()
	if err != nil {
		return nil, err
	}
	return map[string]string{"data": m.Digest}, nil
}
