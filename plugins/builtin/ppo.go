package builtin

import (
	"github.com/llmflow/llmflow/plugins/align"
	"github.com/llmflow/llmflow/plugins/sdk"
)

func init() {
	stages["ppo"] = func() sdk.Stage { return align.PPO{} }
}
