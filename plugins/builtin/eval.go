package builtin

import (
	"github.com/llmflow/llmflow/plugins/eval"
	"github.com/llmflow/llmflow/plugins/sdk"
)

func init() {
	stages["eval"] = func() sdk.Stage { return eval.Stage{} }
}
