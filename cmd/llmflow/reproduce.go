package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

var (
	reproduceFlags pipelineFlags
	reproduceForce bool
)

var reproduceCmd = &cobra.Command{
	Use:   "reproduce RUN",
	Short: "Re-run a recorded run from its snapshot into a fresh store and compare artifacts",
	Long: `Rebuilds the pipeline from the run's recorded source snapshot and variables
(sensitive variables come from -var, -var-file or LLMFLOW_VAR_ as usual), refuses
when a source file or plugin binary no longer matches what the run used (unless
--force), re-runs every node without the cache into a fresh store and reports
which artifacts came out byte-identical.`,
	Args: exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		ctx, stop := interruptContext(cmd.Context())
		defer stop()
		d, err := loadRun(cmd, reproduceFlags.db, args[0])
		if err != nil {
			return err
		}
		b, err := bindSnapshot(cmd, d)
		if err != nil {
			return err
		}
		store, err := freshStore(reproduceFlags.store, filepath.Join(filepath.Dir(reproduceFlags.db), "reproduce"), d.ID)
		if err != nil {
			return err
		}
		key, err := store.EnsureSecret()
		if err != nil {
			return err
		}
		pl := &pipeline.Planner{Store: store, Runner: stageRunner(), NoCache: true, Key: key}
		defer closeStageRunner()
		p, diags := pl.Plan(ctx, b)
		if diags.HasErrors() {
			printDiags(cmd.ErrOrStderr(), b.Config, diags)
			return fmt.Errorf("%w: the snapshot of run %s no longer plans", errInvalid, d.ID)
		}
		if err := checkSources(cmd, d, p); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "Reproducing run %s into %s\n", d.ID, store.Dir())
		got := &outputCollector{outputs: map[string]string{}}
		f := reproduceFlags
		f.noCache = true
		if err := executePlan(ctx, cmd, p, pl, f, runParallelism, got); err != nil {
			return err
		}
		return compareOutputs(cmd, d, got.outputs)
	},
}

func init() {
	reproduceFlags.addVarFlags(reproduceCmd)
	reproduceCmd.Flags().StringVar(&reproduceFlags.db, "db", defaultDB, "run database file")
	reproduceCmd.Flags().StringVar(&reproduceFlags.store, "store", "", "fresh store directory (default: a new directory in reproduce/ next to the database)")
	reproduceCmd.Flags().BoolVar(&reproduceForce, "force", false, "re-run even when inputs or plugins changed")
	reproduceCmd.Flags().BoolVar(&reproduceFlags.json, "json", false, "print events as JSON lines")
	rootCmd.AddCommand(reproduceCmd)
}

// bindSnapshot loads the recorded source and binds it with the recorded
// variables; sensitive ones, never recorded, come from the usual sources.
func bindSnapshot(cmd *cobra.Command, d *runstore.RunDetail) (*pipeline.Bound, error) {
	cfg, diags := pipeline.Load(d.PipelineFile, []byte(d.Source))
	exprs, d2 := pipeline.VarInputs{Env: os.Environ(), Files: reproduceFlags.varFiles, Args: reproduceFlags.vars}.Values(cfg)
	diags = append(diags, d2...)
	var recorded map[string]json.RawMessage
	json.Unmarshal(d.Variables, &recorded)
	for name, raw := range recorded {
		ty, err := ctyjson.ImpliedType(raw)
		if err != nil || cfg.Variables[name] == nil {
			continue
		}
		if v, err := ctyjson.Unmarshal(raw, ty); err == nil {
			exprs[name] = hcl.StaticExpr(v, hcl.Range{Filename: "<run " + d.ID + ">"})
		}
	}
	if !diags.HasErrors() {
		sensitiveDefaults(cfg, d.PipelineFile, exprs)
		b, d3 := cfg.Bind(exprs)
		useSecrets(b)
		if diags = append(diags, d3...); !diags.HasErrors() {
			return b, nil
		}
	}
	printDiags(cmd.ErrOrStderr(), cfg, diags)
	return nil, fmt.Errorf("%w: the snapshot of run %s does not load", errInvalid, d.ID)
}

// sensitiveDefaults fills in sensitive variables that no source set from
// their defaults in the pipeline file as it is now: the recorded snapshot
// leaves those defaults out.
func sensitiveDefaults(cfg *pipeline.Config, path string, exprs map[string]hcl.Expression) {
	var now *pipeline.Config
	for name, v := range cfg.Variables {
		if !v.Sensitive || exprs[name] != nil {
			continue
		}
		if now == nil {
			var diags hcl.Diagnostics
			if now, diags = pipeline.LoadFile(path); diags.HasErrors() {
				return // Bind reports the missing value
			}
		}
		if cur := now.Variables[name]; cur != nil && cur.Default != cty.NilVal && !cur.Default.IsNull() {
			exprs[name] = hcl.StaticExpr(cur.Default, cur.DefaultRange)
		}
	}
}

// freshStore returns the store to reproduce into: dir, or a new directory
// under parent (next to the run database).
func freshStore(dir, parent, runID string) (*artifact.Store, error) {
	if dir == "" {
		if err := os.MkdirAll(parent, 0o755); err != nil {
			return nil, err
		}
		var err error
		if dir, err = os.MkdirTemp(parent, runID+"-"); err != nil {
			return nil, err
		}
	}
	return artifact.OpenStore(dir)
}

// outputCollector records the outputs each node produced; the map is read
// only after the run.
type outputCollector struct {
	pipeline.NopHook
	mu      sync.Mutex
	outputs map[string]string // "addr.output" -> digest
}

// NodeFinished implements pipeline.Hook; nodes finish concurrently.
func (c *outputCollector) NodeFinished(r pipeline.NodeResult) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, d := range r.Outputs {
		c.outputs[r.Addr+"."+name] = d
	}
}
