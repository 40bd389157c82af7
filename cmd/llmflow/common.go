package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/redact"
	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// Default locations, relative to the working directory.
const (
	defaultStore = ".llmflow/store"
	defaultDB    = ".llmflow/llmflow.db"
)

// secrets are the sensitive values of the pipeline this process loaded;
// everything it prints or passes on from plugins is redacted with them.
var secrets = &redact.Set{}

// useSecrets makes the process-wide set b's, so that what planning and
// running find later is redacted everywhere too.
func useSecrets(b *pipeline.Bound) {
	secrets.AddFrom(b.Secrets)
	b.Secrets = secrets
}

// pipelineFlags are the flags shared by commands that load a pipeline.
type pipelineFlags struct {
	vars     []string
	varFiles []string
	store    string
	db       string
	noCache  bool
	json     bool
	executor string // run --executor
	// writesStore is set by commands that run the plan: planning then
	// creates the store's secret key, so cache keys outlive the process.
	writesStore bool
}

func (f *pipelineFlags) addVarFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.vars, "var", nil, "set a variable: -var name=value (repeatable)")
	cmd.Flags().StringArrayVar(&f.varFiles, "var-file", nil, "read variables from an HCL file (repeatable)")
}

func (f *pipelineFlags) addStoreFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.store, "store", defaultStore, "artifact store directory")
	cmd.Flags().StringVar(&f.db, "db", defaultDB, "run database file")
}

// bind loads the pipeline file and evaluates it with the variable flags and
// LLMFLOW_VAR_ environment. Problems are reported (as text on stderr, or
// as JSON on stdout with --json); an invalid pipeline returns errInvalid.
func (f *pipelineFlags) bind(cmd *cobra.Command, path string) (*pipeline.Bound, error) {
	cfg, diags := pipeline.LoadFile(path)
	var b *pipeline.Bound
	if !diags.HasErrors() {
		exprs, d := pipeline.VarInputs{Env: os.Environ(), Files: f.varFiles, Args: f.vars}.Values(cfg)
		diags = append(diags, d...)
		if !d.HasErrors() {
			var d2 hcl.Diagnostics
			b, d2 = cfg.Bind(exprs)
			diags = append(diags, d2...)
			useSecrets(b)
		}
	}
	if err := f.report(cmd, cfg, diags, path); err != nil {
		return nil, err
	}
	return b, nil
}

// report shows diagnostics and turns errors among them into errInvalid.
func (f *pipelineFlags) report(cmd *cobra.Command, cfg *pipeline.Config, diags hcl.Diagnostics, path string) error {
	if f.json && diags.HasErrors() {
		writeDiagsJSON(cmd.OutOrStdout(), diags)
	} else {
		printDiags(cmd.ErrOrStderr(), cfg, diags)
	}
	if diags.HasErrors() {
		return fmt.Errorf("%w: %d error(s) in %s", errInvalid, len(diags.Errs()), path)
	}
	return nil
}

// planner builds a read-only planner: it opens the store without creating
// it and reads history only from an existing database.
func (f *pipelineFlags) planner(ctx context.Context, b *pipeline.Bound) (*pipeline.Planner, func(), error) {
	store, err := artifact.OpenStore(f.store)
	if err != nil {
		return nil, nil, err
	}
	key, err := store.Secret()
	if f.writesStore {
		key, err = store.EnsureSecret()
	}
	if err != nil {
		return nil, nil, err
	}
	pl := &pipeline.Planner{Store: store, Runner: stageRunner(), NoCache: f.noCache, Key: key, Executor: f.executor}
	closeFn := func() {}
	if db, err := runstore.OpenReadOnly(f.db); err == nil {
		pl.History = pipeline.RunHistory{DB: db, Pipeline: absOr(b.Config.Filename)}
		closeFn = func() { db.Close() }
	}
	return pl, closeFn, nil
}

// plan binds and plans the pipeline at path.
func (f *pipelineFlags) plan(cmd *cobra.Command, path string) (*pipeline.Plan, *pipeline.Planner, func(), error) {
	b, err := f.bind(cmd, path)
	if err != nil {
		return nil, nil, nil, err
	}
	pl, closeFn, err := f.planner(cmd.Context(), b)
	if err != nil {
		return nil, nil, nil, err
	}
	p, diags := pl.Plan(cmd.Context(), b)
	if err := f.report(cmd, b.Config, diags, path); err != nil {
		closeFn()
		return nil, nil, nil, err
	}
	return p, pl, closeFn, nil
}

// isTerminal reports whether the stream s (a reader or writer) is an
// interactive terminal.
func isTerminal(s any) bool {
	f, ok := s.(*os.File)
	return ok && isatty.IsTerminal(f.Fd())
}

func absOr(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// totalBytes sums the sizes of removed store entries.
func totalBytes(removed []artifact.Removed) int64 {
	var n int64
	for _, r := range removed {
		n += r.Bytes
	}
	return n
}

// formatBytes renders a size in decimal units, as df -H and du --si do.
func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
