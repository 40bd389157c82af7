package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/model/peft"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// checkpointFlags name the checkpoint a sampling command (generate, chat)
// loads: a directory, an artifact digest or a unique prefix of one, or the
// address of the node that made it.
type checkpointFlags struct {
	ref     string
	adapter string
	store   string
	db      string
}

func (f *checkpointFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.ref, "checkpoint", "", "checkpoint directory, artifact digest (or a unique prefix), or node address such as stage.tiny (required)")
	fl.StringVar(&f.store, "store", defaultStore, "artifact store used to resolve a digest or node")
	fl.StringVar(&f.db, "db", defaultDB, "run database used to resolve a node address")
	fl.StringVar(&f.adapter, "adapter", "", "adapter (LoRA, prefix or bottleneck) to apply to the checkpoint: directory, artifact digest, or node address such as stage.lora")
	cmd.MarkFlagRequired("checkpoint")
}

// nodeAddr is a pipeline node address: a block type and a name.
var nodeAddr = regexp.MustCompile(`^[a-z_]+\.[A-Za-z_][A-Za-z0-9_-]*$`)

// resolve returns the checkpoint directory f.ref names. A directory wins;
// a node address is the model output of the newest run in which that node
// succeeded; anything else is a digest in the store.
func (f checkpointFlags) resolve(ctx context.Context) (string, error) {
	return f.resolveRef(ctx, "checkpoint", f.ref, "model")
}

// resolveRef returns the directory ref names (what names the flag, output
// the output of a node address).
func (f checkpointFlags) resolveRef(ctx context.Context, what, ref, output string) (string, error) {
	if st, err := os.Stat(ref); err == nil && st.IsDir() {
		return ref, nil
	}
	s, err := artifact.OpenStore(f.store)
	if err != nil {
		return "", err
	}
	if nodeAddr.MatchString(ref) {
		return f.nodeOutput(ctx, s, what, ref, output)
	}
	digest, err := s.ResolveDigest(ref)
	if errors.Is(err, artifact.ErrNoArtifact) {
		err = fmt.Errorf("%w (%w)", err, errNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("%s %q is neither a directory nor a node address: %w", what, ref, err)
	}
	return s.Path(digest), nil
}

// nodeOutput returns the directory of the output of the newest run in
// which node ref succeeded.
func (f checkpointFlags) nodeOutput(ctx context.Context, s *artifact.Store, what, ref, output string) (string, error) {
	db, err := runstore.OpenReadOnly(f.db)
	if err != nil {
		return "", fmt.Errorf("%s %q is not a directory, and the run database to look the node up in cannot be read: %w", what, ref, err)
	}
	defer db.Close()
	out, err := db.LatestOutput(ctx, ref, output)
	if err != nil {
		return "", fmt.Errorf("%s %q is not a directory: %w", what, ref, err)
	}
	if !s.Has(out.Digest) {
		return "", fmt.Errorf("%s %s: the %s of run %s (%s) is not in store %s: %w", what, ref, output, out.RunID, out.Digest, s.Dir(), errNotFound)
	}
	return s.Path(out.Digest), nil
}

// load reads the checkpoint and its tokenizer and folds in the --adapter,
// if any. chatDir is where the chat files are read from: the adapter's
// directory when it carries a template, else the checkpoint's.
func (f checkpointFlags) load(ctx context.Context) (m *model.Model, tok *tokenizer.Tokenizer, chatDir string, err error) {
	dir, err := f.resolve(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	if m, tok, err = loadCheckpoint(dir); err != nil {
		return nil, nil, "", err
	}
	if f.adapter == "" {
		return m, tok, dir, nil
	}
	adir, err := f.resolveRef(ctx, "adapter", f.adapter, "adapter")
	if err != nil {
		return nil, nil, "", err
	}
	if _, m, err = peft.ApplyTo(m, dir, adir); err != nil {
		return nil, nil, "", err
	}
	if _, err := os.Stat(filepath.Join(adir, chat.TokenizerConfigFile)); err == nil {
		return m, tok, adir, nil
	}
	return m, tok, dir, nil
}

// loadCheckpoint reads the model and tokenizer of a checkpoint directory.
func loadCheckpoint(dir string) (*model.Model, *tokenizer.Tokenizer, error) {
	m, err := model.LoadCheckpoint(dir)
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenizer.Load(filepath.Join(dir, model.TokenizerFile))
	if err != nil {
		return nil, nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	return m, tok, nil
}

// samplingFlags are the sampling settings generate and chat share.
type samplingFlags struct {
	temperature float64
	topK        int
	topP        float64
	seed        uint64
}

func (f *samplingFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.Float64Var(&f.temperature, "temperature", 0.8, "sampling temperature (0: greedy)")
	fl.IntVar(&f.topK, "top-k", 0, "sample among the k most likely tokens (0: all)")
	fl.Float64Var(&f.topP, "top-p", 1, "nucleus sampling mass (1: off)")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed")
}

// sampler draws with f's settings from the RNG seeded with seed+offset,
// and never an id tok cannot decode.
func (f samplingFlags) sampler(tok *tokenizer.Tokenizer, offset uint64) *model.Sampler {
	return &model.Sampler{Temperature: f.temperature, TopK: f.topK, TopP: f.topP, Vocab: tok.VocabSize(), RNG: model.NewRNG(f.seed + offset)}
}
