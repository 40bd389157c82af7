package pipeline

import (
	"context"
	"fmt"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
)

// ChatTemplateConfig is the configuration of a chat_template block: a
// built-in template by name, or a user template's strings (chat.Spec).
type ChatTemplateConfig struct {
	Builtin          string   `hcl:"builtin,optional" json:"builtin,omitempty"`
	Begin            string   `hcl:"begin,optional" json:"begin,omitempty"`
	System           string   `hcl:"system,optional" json:"system,omitempty"`
	User             string   `hcl:"user,optional" json:"user,omitempty"`
	Assistant        string   `hcl:"assistant,optional" json:"assistant,omitempty"`
	GenerationPrompt string   `hcl:"generation_prompt,optional" json:"generation_prompt,omitempty"`
	EndOfTurn        string   `hcl:"end_of_turn,optional" json:"end_of_turn,omitempty"`
	SpecialTokens    []string `hcl:"special_tokens,optional" json:"special_tokens,omitempty"`
}

func (c *ChatTemplateConfig) template() (*chat.Template, error) {
	spec := chat.Spec{Begin: c.Begin, System: c.System, User: c.User, Assistant: c.Assistant,
		GenerationPrompt: c.GenerationPrompt, EndOfTurn: c.EndOfTurn, SpecialTokens: c.SpecialTokens}
	if c.Builtin == "" {
		return spec.Template()
	}
	if spec.Begin != "" || spec.System != "" || spec.User != "" || spec.Assistant != "" ||
		spec.GenerationPrompt != "" || spec.EndOfTurn != "" || len(spec.SpecialTokens) > 0 {
		return nil, fmt.Errorf("builtin %q cannot be combined with template strings; give one or the other", c.Builtin)
	}
	return chat.Builtin(c.Builtin)
}

func init() {
	RegisterBlockType(BlockType{
		Name:      "chat_template",
		Doc:       "a chat template (built-in chatml or plain, or per-role strings) for instruction tuning",
		Outputs:   []Port{{Name: "template", Kind: artifact.KindChatTemplate}},
		NewConfig: func() any { return &ChatTemplateConfig{} },
		Validate: func(cfg any) error {
			_, err := cfg.(*ChatTemplateConfig).template()
			return err
		},
		Run: runChatTemplate,
	})
}

func runChatTemplate(_ context.Context, run *NodeRun) (map[string]string, error) {
	t, err := run.Config.(*ChatTemplateConfig).template()
	if err != nil {
		return nil, err
	}
	st, err := run.Store.NewStaging(artifact.KindChatTemplate)
	if err != nil {
		return nil, err
	}
	defer st.Abort() // no-op after a successful commit
	if err := t.Save(st.Dir()); err != nil {
		return nil, err
	}
	m, err := st.Commit()
	if err != nil {
		return nil, err
	}
	return map[string]string{"template": m.Digest}, nil
}
