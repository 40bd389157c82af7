// Package echostage holds a no-op stage for the tests and benchmarks of the
// plugin host. It is not a built-in stage: the release binary does not carry
// it, and test plugins serve it from their own main.
package echostage

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"

	"github.com/llmflow/llmflow/plugins/sdk"
)

// Version is the version Stage reports.
const Version = "1.0.0"

// Stage is a no-op stage named "echo": it writes its config and
// message into one output directory and reports a progress step, a metric
// and a log line. With steps > 0 it sleeps step_ms per step, checking for a
// stop between steps, so hosts can exercise graceful stops.
type Stage struct{}

// Describe implements sdk.Stage.
func (Stage) Describe(context.Context) (*sdk.Description, error) {
	return &sdk.Description{
		Name:    "echo",
		Version: Version,
		Doc:     "Writes its config to an output directory; used to test the plugin host.",
		Config: []sdk.Attribute{
			{Name: "message", Type: cty.String, Default: cty.StringVal("hello"), Doc: "Text written to message.txt."},
			{Name: "steps", Type: cty.Number, Default: cty.NumberIntVal(0), Doc: "Number of sleeping steps."},
			{Name: "step_ms", Type: cty.Number, Default: cty.NumberIntVal(10), Doc: "Milliseconds per step."},
		},
		Inputs:  []sdk.Port{{Name: "in", Optional: true, Doc: "Ignored; lets tests wire an edge."}},
		Outputs: []sdk.Port{{Name: "out", Kind: "echo", Doc: "config.json and message.txt."}},
	}, nil
}

// Validate implements sdk.Stage.
func (Stage) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	var diags sdk.Diagnostics
	if !cfg.IsWhollyKnown() {
		return nil
	}
	if s := cfg.GetAttr("steps"); !s.IsNull() && s.LessThan(cty.Zero).True() {
		diags = append(diags, sdk.Errorf("steps", "Negative step count", "steps must be 0 or more."))
	}
	return diags
}

type echoConfig struct {
	Message string `cty:"message"`
	Steps   int    `cty:"steps"`
	StepMS  int    `cty:"step_ms"`
}

// Run implements sdk.Stage.
func (Stage) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	var c echoConfig
	if err := sdk.DecodeConfig(req.Config, &c); err != nil {
		return err
	}
	for i := 0; i < c.Steps; i++ {
		select {
		case <-ctx.Done():
			ev.Log("stopped after step " + strconv.Itoa(i))
			return ctx.Err()
		case <-time.After(time.Duration(c.StepMS) * time.Millisecond):
		}
		ev.Progress(int64(i+1), int64(c.Steps), "steps")
	}
	dir := filepath.Join(req.OutputDir, "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := ctyjson.Marshal(req.Config, req.Config.Type())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "message.txt"), []byte(c.Message+"\n"), 0o644); err != nil {
		return err
	}
	ev.Progress(1, 1, "nodes")
	ev.Metric(0, "message_bytes", float64(len(c.Message)))
	ev.Log("echo: " + c.Message)
	ev.Output("out", dir, "echo")
	return nil
}
