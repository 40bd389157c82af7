// Command faulty is a stage plugin that misbehaves on purpose, for the
// plugin host's fault tests. The mode is the binary's base name (tests
// symlink it under each mode's name) or, for the base binary, its last
// argument, so it can also stand in for `llmflow plugin serve NAME`.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	plugin "github.com/hashicorp/go-plugin"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/internal/echostage"
	"github.com/llmflow/llmflow/plugins/sdk"
)

func main() {
	mode := filepath.Base(os.Args[0])
	if mode == "faulty" && len(os.Args) > 1 {
		mode = os.Args[len(os.Args)-1]
	}
	switch mode {
	case "echo":
		sdk.Serve(echostage.Stage{})
	case "marker":
		// Proves whether the binary was started at all.
		_ = os.WriteFile(os.Getenv("LLMFLOW_TEST_MARKER"), []byte("started"), 0o644)
		sdk.Serve(echostage.Stage{})
	case "exit-early":
		fmt.Fprintln(os.Stderr, "faulty: cannot load model weights: no such file")
		os.Exit(1)
	case "hang-start":
		time.Sleep(time.Hour)
	case "garbage":
		fmt.Println("hello from a program that is not a plugin")
		time.Sleep(time.Hour)
	case "gp-automtls":
		// A plugin on go-plugin's own AutoMTLS, without the SDK's Serve.
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  sdk.Handshake,
			VersionedPlugins: sdk.ServerPluginSets(echostage.Stage{}),
			GRPCServer:       plugin.DefaultGRPCServer,
		})
	case "proto2":
		plugin.Serve(&plugin.ServeConfig{
			HandshakeConfig:  sdk.Handshake,
			VersionedPlugins: map[int]plugin.PluginSet{2: {sdk.PluginName: &sdk.GRPCStagePlugin{Impl: echostage.Stage{}}}},
			GRPCServer:       plugin.DefaultGRPCServer,
		})
	default:
		sdk.Serve(faultStage{mode: mode})
	}
}

// faultStage describes itself like echo and misbehaves in Run.
type faultStage struct{ mode string }

func (f faultStage) Describe(ctx context.Context) (*sdk.Description, error) {
	d, _ := echostage.Stage{}.Describe(ctx)
	d.Name = f.mode
	return d, nil
}

func (faultStage) Validate(context.Context, cty.Value) sdk.Diagnostics { return nil }

func (f faultStage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	switch f.mode {
	case "panic":
		// A panic off the handler goroutine kills the process.
		done := make(chan struct{})
		go func() { panic("boom in a worker goroutine") }()
		<-done
	case "panic-handler":
		panic("boom in Run")
	case "exit":
		ev.Log("about to exit")
		time.Sleep(20 * time.Millisecond)
		os.Exit(3)
	case "hang-run":
		// Ignores Stop: only a kill ends it.
		time.Sleep(time.Hour)
	case "fail":
		return fmt.Errorf("input %q has no rows", "data")
	case "bad-output":
		ev.Output("out", "/etc", "echo")
		return nil
	case "stderr":
		fmt.Fprintln(os.Stderr, "plugin says hello on stderr")
		fmt.Println("plugin says hello on stdout")
		return echostage.Stage{}.Run(ctx, req, ev)
	case "leak":
		// Prints its message everywhere a plugin can, then exits, so the
		// host quotes its stderr in the error.
		msg := req.Config.GetAttr("message").AsString()
		fmt.Fprintln(os.Stderr, "leak on stderr: "+msg)
		fmt.Println("leak on stdout: " + msg)
		time.Sleep(200 * time.Millisecond)
		os.Exit(3)
	case "env":
		env := os.Environ()
		sort.Strings(env)
		for _, kv := range env {
			name, _, _ := strings.Cut(kv, "=")
			ev.Log(name)
		}
		return echostage.Stage{}.Run(ctx, req, ev)
	}
	return fmt.Errorf("unknown mode %q", f.mode)
}
