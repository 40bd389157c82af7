// Command leakstage is a stage plugin for the CLI's sensitive-value tests:
// it repeats its token wherever a plugin can (diagnostics, log events,
// stdout, stderr) but writes only the token's length as its output.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/plugins/sdk"
)

func main() { sdk.Serve(leak{}) }

type leak struct{}

func (leak) Describe(context.Context) (*sdk.Description, error) {
	return &sdk.Description{
		Name: "leak", Version: "1.0.0", Doc: "Repeats its token everywhere but in its output.",
		Config: []sdk.Attribute{
			{Name: "token", Type: cty.String, Required: true},
			{Name: "reject", Type: cty.Bool, Default: cty.False},
		},
		Inputs:  []sdk.Port{{Name: "data", Optional: true}},
		Outputs: []sdk.Port{{Name: "out", Kind: "leak"}},
	}, nil
}

func (leak) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	token := cfg.GetAttr("token").AsString()
	fmt.Fprintln(os.Stderr, "validating token "+token)
	if cfg.GetAttr("reject").True() {
		return sdk.Diagnostics{sdk.Errorf("token", "Token rejected", "The token %q is not accepted.", token)}
	}
	return nil
}

func (leak) Run(_ context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	token := req.Config.GetAttr("token").AsString()
	ev.Log("running with token " + token)
	fmt.Fprintln(os.Stderr, "stderr: token "+token)
	fmt.Println("stdout: token " + token)
	dir := filepath.Join(req.OutputDir, "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "length.txt"), []byte(strconv.Itoa(len(token))), 0o644); err != nil {
		return err
	}
	ev.Output("out", dir, "leak")
	return nil
}
