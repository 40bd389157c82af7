package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
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
	chat        bool
}

var genFlags generateFlags

var generateCmd = &cobra.Command{
	Use:   "generate --checkpoint DIR|DIGEST --prompt TEXT",
	Short: "Sample text from a trained checkpoint",
	Long: `Generate continues each prompt with tokens sampled from a GPT-2 checkpoint
(a directory holding model.safetensors, config.json and tokenizer.json, or the
sha256 digest of a checkpoint artifact in the store). The same seed and flags
give the same text. With --chat, each prompt is a user turn rendered with the
chat template the checkpoint carries (template.json, written by the sft
stage), and the reply ends at the template's end-of-turn token.`,
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
	f.BoolVar(&genFlags.chat, "chat", false, "answer each prompt as a user turn with the checkpoint's chat template")
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
	encode, stop, err := promptEncoder(dir, tok, f.chat)
	if err != nil {
		return err
	}
	prompts := f.prompts
	if len(prompts) == 0 {
		prompts = []string{""}
	}
	out := cmd.OutOrStdout()
	for i, p := range prompts {
		s := &model.Sampler{Temperature: f.temperature, TopK: f.topK, TopP: f.topP, RNG: model.NewRNG(f.seed + uint64(i))}
		in, err := encode(p)
		if err != nil {
			return err
		}
		ids, err := m.Generate(in, f.maxTokens, s, stop)
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
		if f.chat {
			fmt.Fprintf(out, "> %s\n%s\n", p, text)
		} else {
			fmt.Fprintf(out, "%s%s\n", p, text)
		}
	}
	return nil
}

// promptEncoder returns how prompts become ids and the id generation stops
// at: plain text and <|endoftext|>, or with chat, a user turn in the
// checkpoint's template followed by its generation prompt, and the
// template's end of turn.
func promptEncoder(dir string, tok *tokenizer.Tokenizer, withChat bool) (func(string) ([]int32, error), int32, error) {
	if !withChat {
		stop := int32(-1)
		if id, ok := tok.SpecialID(chat.TokenEndOfText); ok {
			stop = id
		}
		return func(p string) ([]int32, error) { return tok.Encode([]byte(p)), nil }, stop, nil
	}
	tmpl, err := chat.Load(dir)
	if err != nil {
		return nil, 0, fmt.Errorf("--chat needs the chat template of an sft checkpoint: %w", err)
	}
	enc, err := chat.NewEncoder(tmpl, tok)
	if err != nil {
		return nil, 0, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	stop, _ := tok.SpecialID(tmpl.EndOfTurn())
	return func(p string) ([]int32, error) {
		ids, _, err := enc.Encode([]chat.Message{{Role: chat.RoleUser, Content: p}}, chat.Options{Generate: true})
		return ids, err
	}, stop, nil
}
