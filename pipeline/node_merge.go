package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
	"github.com/llmflow/llmflow/model"
	"github.com/llmflow/llmflow/model/peft"
)

// MergeConfig is the configuration of a merge block; its model and adapter
// are inputs, so it has no attribute of its own.
type MergeConfig struct{}

// Chat files a merged checkpoint takes from the adapter (which carries the
// template it was trained with), else from the base when it has them.
var mergeChatFiles = slices.Concat(checkpointOptional, []string{chat.SpecFile, chat.JinjaFile})

func init() {
	RegisterBlockType(BlockType{
		Name: "merge",
		Doc:  "fold a LoRA adapter into its base checkpoint, giving a full checkpoint",
		Inputs: []Port{
			{Name: "model", Kind: artifact.KindCheckpoint, Required: true},
			{Name: "adapter", Kind: artifact.KindAdapter, Required: true},
		},
		Outputs:   []Port{{Name: "model", Kind: artifact.KindCheckpoint}},
		NewConfig: func() any { return &MergeConfig{} },
		Run:       runMerge,
	})
}

func runMerge(ctx context.Context, run *NodeRun) (map[string]string, error) {
	st, err := run.Store.NewStaging(artifact.KindCheckpoint)
	if err != nil {
		return nil, err
	}
	defer st.Abort() // no-op after a successful commit
	a, err := mergeAdapter(st.Dir(), run.Inputs["model"].Path, run.Inputs["adapter"].Path)
	if err != nil {
		return nil, err
	}
	cfg := a.LoRA
	run.Metrics(map[string]float64{"lora_r": float64(cfg.R), "lora_modules": float64(len(cfg.TargetModules))})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := st.Commit()
	if err != nil {
		return nil, err
	}
	return map[string]string{"model": m.Digest}, nil
}

// mergeAdapter writes to dst the checkpoint in baseDir with the LoRA
// adapter in adapterDir folded into its weights, the base's tokenizer and
// the chat files of the adapter (else of the base), with bos and eos those
// of the adapter's template. Prefixes and bottleneck adapters, which add
// computation rather than change weights, and an adapter trained on other
// weights are refused.
func mergeAdapter(dst, baseDir, adapterDir string) (*peft.Adapter, error) {
	m, err := model.LoadCheckpoint(baseDir)
	if err != nil {
		return nil, err
	}
	a, merged, err := peft.Merge(m, baseDir, adapterDir)
	if err != nil {
		return nil, err
	}
	if err := setTemplateIDs(merged, baseDir, adapterDir); err != nil {
		return nil, err
	}
	if err := model.SaveCheckpoint(dst, merged, filepath.Join(baseDir, model.TokenizerFile)); err != nil {
		return nil, err
	}
	for _, name := range mergeChatFiles {
		for _, dir := range []string{adapterDir, baseDir} {
			p := filepath.Join(dir, name)
			if _, err := os.Stat(p); err == nil {
				if err := copyInto(dst, p); err != nil {
					return nil, err
				}
				break
			}
		}
	}
	return a, nil
}

// setTemplateIDs gives m the bos and eos ids of the chat template saved
// with the adapter, if any, so generation stops at its end of turn.
func setTemplateIDs(m *model.Model, baseDir, adapterDir string) error {
	if _, err := os.Stat(filepath.Join(adapterDir, chat.SpecFile)); err != nil {
		return nil
	}
	tmpl, err := chat.Load(adapterDir)
	if err != nil {
		return err
	}
	tok, err := tokenizer.Load(filepath.Join(baseDir, model.TokenizerFile))
	if err != nil {
		return err
	}
	ids, err := tmpl.Resolve(tok)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(adapterDir, chat.SpecFile), err)
	}
	m.Config.BOSTokenID, m.Config.EOSTokenID = int(ids.BOS), int(ids.EOS)
	return nil
}
