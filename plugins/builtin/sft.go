package builtin

import (
	"github.com/llmflow/llmflow/plugins/sdk"
	"github.com/llmflow/llmflow/plugins/sft"
)

func init() {
	stages["sft"] = func() sdk.Stage { return sft.Stage{} }
}
