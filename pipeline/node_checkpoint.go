package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
)

// CheckpointConfig is the configuration of a checkpoint block: a directory
// in the Hugging Face GPT-2 layout to import as a model.
type CheckpointConfig struct {
	// Path is left out of the canonical config: the import is keyed by the
	// files' content (Sources), so moving the directory changes nothing
	// downstream.
	Path string `hcl:"path" json:"-"`
}

// Files a checkpoint block imports; the others are optional.
var (
	checkpointRequired = []string{model.WeightsFile, model.ConfigFile, model.TokenizerFile}
	checkpointOptional = []string{"tokenizer_config.json", "generation_config.json"}
)

func init() {
	RegisterBlockType(BlockType{
		Name:      "checkpoint",
		Doc:       "import a Hugging Face GPT-2 checkpoint directory as a model",
		Outputs:   []Port{{Name: "model", Kind: artifact.KindCheckpoint}},
		NewConfig: func() any { return &CheckpointConfig{} },
		Sources:   checkpointSources,
		Run:       runCheckpoint,
	})
}

// checkpointSources lists the files the block imports: the required ones
// (an error when one is missing) and the optional ones present.
func checkpointSources(cfg any, dir string) ([]string, error) {
	root := cfg.(*CheckpointConfig).Path
	if !filepath.IsAbs(root) {
		root = filepath.Join(dir, root)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("path %q is not a directory", cfg.(*CheckpointConfig).Path)
	}
	var out []string
	for _, name := range checkpointRequired {
		p := filepath.Join(root, name)
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s is missing: a checkpoint needs %s, %s and %s", p,
				checkpointRequired[0], checkpointRequired[1], checkpointRequired[2])
		}
		out = append(out, p)
	}
	for _, name := range checkpointOptional {
		p := filepath.Join(root, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out, nil
}

func runCheckpoint(ctx context.Context, run *NodeRun) (map[string]string, error) {
	paths, err := checkpointSources(run.Config, run.Dir)
	if err != nil {
		return nil, err
	}
	st, err := run.Store.NewStaging(artifact.KindCheckpoint)
	if err != nil {
		return nil, err
	}
	defer st.Abort() // no-op after a successful commit
	// Copy first and check the copies, so what is checked is what is stored
	// even if the source directory changes meanwhile.
	for _, p := range paths {
		if err := copyInto(st.Dir(), p); err != nil {
			return nil, err
		}
	}
	cfg, err := checkCheckpoint(st.Dir())
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", filepath.Dir(paths[0]), err)
	}
	run.Metrics(map[string]float64{"parameters": float64(cfg.NumParams()), "vocab_size": float64(cfg.VocabSize),
		"n_layer": float64(cfg.NLayer), "n_embd": float64(cfg.NEmbd), "n_positions": float64(cfg.NPositions)})
	st.SetMeta("n_layer", fmt.Sprint(cfg.NLayer))
	st.SetMeta("n_embd", fmt.Sprint(cfg.NEmbd))
	st.SetMeta("vocab_size", fmt.Sprint(cfg.VocabSize))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := st.Commit()
	if err != nil {
		return nil, err
	}
	return map[string]string{"model": m.Digest}, nil
}

// checkCheckpoint validates a checkpoint directory: config.json fields,
// every tensor's name and shape against config.json, the tokenizer's
// vocabulary against the model's, and the optional JSON files. Errors name
// the file at fault.
func checkCheckpoint(dir string) (model.Config, error) {
	cfg, err := model.ReadConfig(filepath.Join(dir, model.ConfigFile))
	if err != nil {
		return model.Config{}, err
	}
	// LoadCheckpoint checks names and shapes and refuses a config.json that
	// asks for more values than the weights file holds.
	if _, err := model.LoadCheckpoint(dir); err != nil {
		return model.Config{}, err
	}
	tpath := filepath.Join(dir, model.TokenizerFile)
	tok, err := tokenizer.Load(tpath)
	if err != nil {
		return model.Config{}, fmt.Errorf("%s: %w", tpath, err)
	}
	if tok.VocabSize() > cfg.VocabSize {
		return model.Config{}, fmt.Errorf("%s has %d ids but config.json's vocab_size is %d: the model has no embedding for the rest",
			tpath, tok.VocabSize(), cfg.VocabSize)
	}
	for _, name := range checkpointOptional {
		if err := checkOptionalJSON(filepath.Join(dir, name), cfg.VocabSize); err != nil {
			return model.Config{}, err
		}
	}
	return cfg, nil
}

// checkOptionalJSON checks that an optional file, when present, is a JSON
// object whose token ids (eos/bos/pad_token_id) lie in the vocabulary.
func checkOptionalJSON(path string, vocab int) error {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil || doc == nil {
		return fmt.Errorf("%s: not a JSON object: %v", path, err)
	}
	for _, key := range []string{"bos_token_id", "eos_token_id", "pad_token_id"} {
		raw, ok := doc[key]
		if !ok || string(raw) == "null" {
			continue
		}
		var ids []int64
		var one int64
		if json.Unmarshal(raw, &one) == nil {
			ids = []int64{one}
		} else if err := json.Unmarshal(raw, &ids); err != nil {
			return fmt.Errorf("%s: %s must be a token id or a list of them", path, key)
		}
		for _, id := range ids {
			if id < 0 || id >= int64(vocab) {
				return fmt.Errorf("%s: %s %d is outside the vocabulary of %d", path, key, id, vocab)
			}
		}
	}
	return nil
}

// copyInto copies the regular file src into dir under its base name.
func copyInto(dir, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, filepath.Base(src)))
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}
