package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/model"
)

// generateFlags are the sampling settings of `llmflow generate`.
type generateFlags struct {
	checkpointFlags
	prompts     []string
	maxTokens   int
	temperature float64
	topK        int
	topP        float64
	seed        uint64
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
	f.Float64Var(&genFlags.temperature, "temperature", 0.8, "sampling temperature (0: greedy)")
	f.IntVar(&genFlags.topK, "top-k", 0, "sample among the k most likely tokens (0: all)")
	f.Float64Var(&genFlags.topP, "top-p", 1, "nucleus sampling mass (1: off)")
	f.Uint64Var(&genFlags.seed, "seed", 1, "random seed")
	rootCmd.AddCommand(generateCmd)
}

func runGenerate(cmd *cobra.Command, f generateFlags) error {
	dir, err := f.resolve(cmd.Context())
	if err != nil {
		return err
	}
	m, tok, err := loadCheckpoint(dir)
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
		s := &model.Sampler{Temperature: f.temperature, TopK: f.topK, TopP: f.topP, Vocab: tok.VocabSize(), RNG: model.NewRNG(f.seed + uint64(i))}
		// Added tokens in the prompt are one id each, as Hugging Face
		// tokenizers encode them.
		ids, err := m.Generate(tok.NewEncoder().EncodeWithSpecial(nil, []byte(p)), f.maxTokens, s, stop)
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
