package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/pipeline"
	"github.com/llmflow/llmflow/pipeline/pluginhost"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// hostRunner adapts the plugin host to pipeline.StageRunner. Plugins opened
// for Describe and Validate stay up until closeAll, so plan starts each
// plugin once; every Run gets a process of its own.
type hostRunner struct {
	host    *pluginhost.Host
	mu      sync.Mutex
	clients map[pipeline.StagePlugin]*pluginhost.Client

	// lock pins external plugins that name no checksum; it is written back
	// at closeStageRunner only when writeLock is set (run, not plan).
	lock      *pluginhost.Lock
	lockPath  string
	writeLock bool
	lockDirty bool
}

var (
	runnerOnce sync.Once
	runner     *hostRunner
)

// stageRunner returns the process-wide runner; closeStageRunner ends its
// plugin processes.
func stageRunner() pipeline.StageRunner {
	runnerOnce.Do(func() {
		runner = &hostRunner{
			host:    pluginhost.New(pluginhost.WithLogger(hostLogger()), pluginhost.WithRedaction(secrets)),
			clients: map[pipeline.StagePlugin]*pluginhost.Client{},
		}
	})
	return runner
}

// useLockFile makes the runner pin external plugins through the lock file
// beside the pipeline at path; write says whether first-use pins are saved.
func useLockFile(path string, write bool) error {
	r := stageRunner().(*hostRunner)
	lockPath := lockPathFor(path)
	lock, diags := pluginhost.ReadLock(lockPath)
	if diags.HasErrors() {
		return diags
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lock, r.lockPath, r.writeLock = lock, lockPath, write
	return nil
}

// lockPathFor is the lock file beside the pipeline at path.
func lockPathFor(path string) string {
	return filepath.Join(filepath.Dir(path), pluginhost.LockFileName)
}

func closeStageRunner() {
	if runner == nil {
		return
	}
	runner.mu.Lock()
	defer runner.mu.Unlock()
	for k, c := range runner.clients {
		c.Close()
		delete(runner.clients, k)
	}
	if runner.lockDirty && runner.writeLock {
		if err := runner.lock.Write(runner.lockPath); err != nil {
			fmt.Fprintf(os.Stderr, "Warning: could not write %s: %v\n", runner.lockPath, err)
		}
		runner.lockDirty = false
	}
}

// specOf turns a plugin block into a spec; an external plugin without a
// checksum takes the one pinned in the lock file, or is pinned now.
// Callers hold r.mu.
func (r *hostRunner) specOf(p pipeline.StagePlugin) (pluginhost.PluginSpec, error) {
	spec := pluginhost.PluginSpec{Name: p.Kind, Source: p.Source, Checksum: p.Checksum}
	if r.lock == nil || spec.IsBuiltin() {
		return spec, nil
	}
	changed, err := r.host.Pin(r.lock, &spec)
	if err != nil {
		return spec, err
	}
	r.lockDirty = r.lockDirty || changed
	return spec, nil
}

func (r *hostRunner) client(ctx context.Context, p pipeline.StagePlugin) (*pluginhost.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.clients[p]; ok {
		return c, nil
	}
	spec, err := r.specOf(p)
	if err != nil {
		return nil, err
	}
	c, err := r.host.Open(ctx, spec)
	if err != nil {
		return nil, err
	}
	r.clients[p] = c
	return c, nil
}

// Describe implements pipeline.StageRunner.
func (r *hostRunner) Describe(ctx context.Context, p pipeline.StagePlugin) (*pipeline.StageInfo, error) {
	c, err := r.client(ctx, p)
	if err != nil {
		return nil, err
	}
	d, id := c.Describe(), c.Identity()
	info := &pipeline.StageInfo{
		Name: d.Name, Version: d.Version, Checksum: id.SHA256,
		ConfigSpec: pluginhost.ConfigSpec(d), Inputs: ports(d.Inputs), Outputs: ports(d.Outputs),
	}
	for _, a := range d.Config {
		if a.Sensitive {
			info.Sensitive = append(info.Sensitive, a.Name)
		}
	}
	return info, nil
}

func ports(ps []sdk.Port) []pipeline.Port {
	out := make([]pipeline.Port, len(ps))
	for i, p := range ps {
		out[i] = pipeline.Port{Name: p.Name, Kind: p.Kind, Required: !p.Optional, NonEmpty: p.NonEmpty, Doc: p.Doc}
	}
	return out
}

// Validate implements pipeline.StageRunner.
func (r *hostRunner) Validate(ctx context.Context, p pipeline.StagePlugin, cfg cty.Value) hcl.Diagnostics {
	c, err := r.client(ctx, p)
	if err == nil {
		var ds sdk.Diagnostics
		if ds, err = c.Validate(ctx, cfg); err == nil {
			return pluginhost.DiagnosticsToHCL(ds, nil)
		}
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Plugin " + p.Kind + " failed", Detail: err.Error()}}
}

// Run implements pipeline.StageRunner with a fresh plugin process.
func (r *hostRunner) Run(ctx context.Context, req *pipeline.StageRequest, ev pipeline.StageEvents) (map[string]pipeline.StageOutput, error) {
	r.mu.Lock()
	spec, err := r.specOf(req.Plugin)
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}
	c, err := r.host.Open(ctx, spec)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	in := map[string]sdk.Input{}
	for name, i := range req.Inputs {
		in[name] = sdk.Input{Path: i.Path, Digest: i.Digest, Kind: i.Kind}
	}
	outs, err := c.Run(ctx, pluginhost.RunRequest{Config: req.Config, Inputs: in, OutputDir: req.OutputDir, Seed: req.Seed}, sink{ev})
	if err != nil {
		return nil, err
	}
	res := map[string]pipeline.StageOutput{}
	for _, o := range outs {
		res[o.Name] = pipeline.StageOutput{Path: o.Path, Kind: o.Kind}
	}
	return res, nil
}

// sink adapts the plugin host's event order (step before name).
type sink struct{ ev pipeline.StageEvents }

func (s sink) Progress(done, total int64, unit string)   { s.ev.Progress(done, total, unit) }
func (s sink) Metric(step int64, name string, v float64) { s.ev.Metric(name, step, v) }
func (s sink) Log(line string)                           { s.ev.Log(line) }

// hostLogger receives plugin stderr and host diagnostics. Plugin output is
// logged at info, so by default only warnings and errors reach stderr;
// LLMFLOW_LOG=debug|info|warn|error changes the level.
func hostLogger() *slog.Logger {
	level := slog.LevelWarn
	if v := os.Getenv("LLMFLOW_LOG"); v != "" {
		if err := level.UnmarshalText([]byte(v)); err != nil {
			fmt.Fprintf(os.Stderr, "Warning: LLMFLOW_LOG=%q is not debug, info, warn or error\n", v)
		}
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
