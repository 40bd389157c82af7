package builtin

import (
	"github.com/llmflow/llmflow/plugins/pretrain"
	"github.com/llmflow/llmflow/plugins/sdk"
)

func init() {
	stages["pretrain"] = func() sdk.Stage { return pretrain.Stage{} }
}
