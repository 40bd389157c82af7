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
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

// checkpointFlags name the checkpoint a sampling command (generate, chat)
// loads: a directory, an artifact digest or a unique prefix of one, or the
// address of the node that made it.
type checkpointFlags struct {
	ref   string
	store string
	db    string
}

func (f *checkpointFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.ref, "checkpoint", "", "checkpoint directory, artifact digest (or a unique prefix), or node address such as stage.tiny (required)")
	fl.StringVar(&f.store, "store", defaultStore, "artifact store used to resolve a digest or node")
	fl.StringVar(&f.db, "db", defaultDB, "run database used to resolve a node address")
	cmd.MarkFlagRequired("checkpoint")
}

// nodeAddr is a pipeline node address: a block type and a name.
var nodeAddr = regexp.MustCompile(`^[a-z_]+\.[A-Za-z_][A-Za-z0-9_-]*$`)

// resolve returns the checkpoint directory f.ref names. A directory wins;
// a node address is the model output of the newest run in which that node
// succeeded; anything else is a digest in the store.
func (f checkpointFlags) resolve(ctx context.Context) (string, error) {
	if st, err := os.Stat(f.ref); err == nil && st.IsDir() {
		return f.ref, nil
	}
	s, err := artifact.OpenStore(f.store)
	if err != nil {
		return "", err
	}
	if nodeAddr.MatchString(f.ref) {
		return f.nodeModel(ctx, s)
	}
	digest, err := s.ResolveDigest(f.ref)
	if errors.Is(err, artifact.ErrNoArtifact) {
		err = fmt.Errorf("%w (%w)", err, errNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("checkpoint %q is neither a directory nor a node address: %w", f.ref, err)
	}
	return s.Path(digest), nil
}

// nodeModel returns the directory of the model output of the newest run
// in which node f.ref succeeded.
func (f checkpointFlags) nodeModel(ctx context.Context, s *artifact.Store) (string, error) {
	db, err := runstore.OpenReadOnly(f.db)
	if err != nil {
		return "", fmt.Errorf("checkpoint %q is not a directory, and the run database to look the node up in cannot be read: %w", f.ref, err)
	}
	defer db.Close()
	out, err := db.LatestOutput(ctx, f.ref, "model")
	if err != nil {
		return "", fmt.Errorf("checkpoint %q is not a directory: %w", f.ref, err)
	}
	if !s.Has(out.Digest) {
		return "", fmt.Errorf("checkpoint %s: the model of run %s (%s) is not in store %s: %w", f.ref, out.RunID, out.Digest, s.Dir(), errNotFound)
	}
	return s.Path(out.Digest), nil
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
