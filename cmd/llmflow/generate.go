package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// generateFlags are the sampling settings of `llmflow generate`.
type generateFlags struct {
	checkpointFlags
	samplingFlags
	prompts   []string
	maxTokens int
}

var genFlags generateFlags

var generateCmd = &cobra.Command{
	Use:   "generate --checkpoint DIR|DIGEST|NODE --prompt TEXT",
	Short: "Sample text from a trained checkpoint",
	Long: `Generate continues each prompt with tokens sampled from a GPT-2 checkpoint
(a directory holding model.safetensors, config.json and tokenizer.json, the
sha256 digest of a checkpoint artifact in the store or a unique prefix of it,
or a node address such as stage.tiny: its model in the newest run in which it
succeeded). Added tokens written in a prompt (say <|endoftext|>) are one
token each. The same seed and flags give the same text.`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, _ []string) error { return runGenerate(cmd, genFlags) },
}

func init() {
	f := generateCmd.Flags()
	genFlags.checkpointFlags.add(generateCmd)
	f.StringArrayVar(&genFlags.prompts, "prompt", nil, "prompt text (repeatable; default: an empty prompt)")
	f.IntVar(&genFlags.maxTokens, "max-tokens", 200, "tokens to generate per prompt")
	genFlags.samplingFlags.add(generateCmd)
	rootCmd.AddCommand(generateCmd)
}

func runGenerate(cmd *cobra.Command, f generateFlags) error {
	m, tok, _, err := f.load(cmd.Context())
	if err != nil {
		return err
	}
	stop := int32(-1)
	if id, ok := tok.SpecialID("<|endoftext|>"); ok {
		stop = id
	}
	prompts := f.prompts
	if len(prompts) == 0 {
		prompts = []string{""}
	}
	out := cmd.OutOrStdout()
	for i, p := range prompts {
		s := f.sampler(tok, uint64(i))
		// Added tokens in the prompt are one id each, as Hugging Face
		// tokenizers encode them.
		ids, err := m.Generate(tok.EncodeWithSpecial([]byte(p)), f.maxTokens, s, stop)
		if err != nil {
			return err
		}
		if len(ids) > 0 && ids[len(ids)-1] == stop {
			ids = ids[:len(ids)-1]
		}
		text, err := tok.Decode(ids)
		if err != nil {
			return err
		}
		if i > 0 {
			fmt.Fprintln(out, "---")
		}
		fmt.Fprintf(out, "%s%s\n", p, text)
	}
	return nil
}
