package builtin

import (
	"github.com/llmflow/llmflow/plugins/peft"
	"github.com/llmflow/llmflow/plugins/sdk"
)

func init() {
	stages["peft"] = func() sdk.Stage { return peft.Stage{} }
}
