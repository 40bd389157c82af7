package builtin

import (
	"github.com/llmflow/llmflow/plugins/align"
	"github.com/llmflow/llmflow/plugins/sdk"
)

func init() {
	stages["logps"] = func() sdk.Stage { return align.LogpsStage{} }
}
