package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// generateFlags are the sampling settings of `llmflow generate`.
type generateFlags struct {
	checkpoint  string
	store       string
	prompts     []string
	maxTokens   int
	temperature float64
	topK        int
	topP        float64
	seed        uint64
}

var genFlags generateFlags

var generateCmd = &cobra.Command{
	Use:   "generate --checkpoint DIR|DIGEST --prompt TEXT",
	Short: "Sample text from a trained checkpoint",
	Long: `Generate continues each prompt with tokens sampled from a GPT-2 checkpoint
(a directory holding model.safetensors, config.json and tokenizer.json, or the
sha256 digest of a checkpoint artifact in the store). The same seed and flags
give the same text.`,
	Args: cobra.NoArgs,
	RunE: func(cmd *cobra.Command, _ []string) error { return runGenerate(cmd, genFlags) },
}

func init() {
	f := generateCmd.Flags()
	f.StringVar(&genFlags.checkpoint, "checkpoint", "", "checkpoint directory or artifact digest (required)")
	f.StringVar(&genFlags.store, "store", defaultStore, "artifact store used to resolve a digest")
	f.StringArrayVar(&genFlags.prompts, "prompt", nil, "prompt text (repeatable; default: an empty prompt)")
	f.IntVar(&genFlags.maxTokens, "max-tokens", 200, "tokens to generate per prompt")
	f.Float64Var(&genFlags.temperature, "temperature", 0.8, "sampling temperature (0: greedy)")
	f.IntVar(&genFlags.topK, "top-k", 0, "sample among the k most likely tokens (0: all)")
	f.Float64Var(&genFlags.topP, "top-p", 1, "nucleus sampling mass (1: off)")
	f.Uint64Var(&genFlags.seed, "seed", 1, "random seed")
	generateCmd.MarkFlagRequired("checkpoint")
	rootCmd.AddCommand(generateCmd)
}

// resolveCheckpoint turns a directory or "sha256:..." digest into a directory.
func resolveCheckpoint(ref, store string) (string, error) {
	if strings.HasPrefix(ref, "sha256:") {
		s, err := artifact.OpenStore(store)
		if err != nil {
			return "", err
		}
		if !s.Has(ref) {
			return "", fmt.Errorf("checkpoint %s is not in the store %s", ref, store)
		}
		return s.Path(ref), nil
	}
	if st, err := os.Stat(ref); err != nil || !st.IsDir() {
		return "", fmt.Errorf("checkpoint %q is neither a directory nor an artifact digest", ref)
	}
	return ref, nil
}

func runGenerate(cmd *cobra.Command, f generateFlags) error {
	dir, err := resolveCheckpoint(f.checkpoint, f.store)
	if err != nil {
		return err
	}
	m, err := model.LoadCheckpoint(dir)
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		return fmt.Errorf("checkpoint %s: %w", dir, err)
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
		s := &model.Sampler{Temperature: f.temperature, TopK: f.topK, TopP: f.topP, RNG: model.NewRNG(f.seed + uint64(i))}
		// A special token typed in the prompt is that token, as in the
		// Hugging Face tokenizer, not its characters.
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
