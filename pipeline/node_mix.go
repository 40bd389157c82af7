package pipeline

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/mix"
)

func init() {
	RegisterBlockType(BlockType{
		Name: "mix",
		Doc:  "interleave several text datasets, by weights or sizes, in a seeded order",
		Inputs: []Port{{Name: "inputs", Kind: artifact.KindText, Required: true, List: true,
			Doc: "the datasets to mix; weights and max_rows follow their order"}},
		Outputs: []Port{{Name: "data", Kind: artifact.KindText}},
		NewConfig: func() any {
			c := mix.DefaultConfig()
			return &c
		},
		Validate: func(cfg any) error { return cfg.(*mix.Config).Validate() },
		Complete: completeMix,
		Run:      runMix,
	})
}

// completeMix names the sources after the inputs list and checks that the
// per-source lists match it.
func completeMix(cfg any, n *Node) hcl.Diagnostics {
	c := cfg.(*mix.Config)
	refs := n.ListRefs("inputs")
	c.Sources = c.Sources[:0]
	for _, r := range refs {
		c.Sources = append(c.Sources, r.String())
	}
	field, err := c.CheckSources(len(refs))
	if err == nil {
		return nil
	}
	subject := n.DeclRange.Ptr()
	if sb, ok := n.Body.(*hclsyntax.Body); ok && sb.Attributes[field] != nil {
		subject = sb.Attributes[field].Expr.Range().Ptr()
	}
	return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid mix configuration",
		Detail: err.Error() + ".", Subject: subject}}
}

func runMix(ctx context.Context, run *NodeRun) (map[string]string, error) {
	cfg := *run.Config.(*mix.Config)
	sources := make([]mix.Source, len(cfg.Sources))
	schemas := make([]*arrow.Schema, len(cfg.Sources))
	for i, name := range cfg.Sources {
		ds, err := run.inputDataset(listInput("inputs", i))
		if err != nil {
			return nil, err
		}
		sources[i], schemas[i] = mix.Source{Name: name, Data: ds}, ds.Schema()
	}
	out, err := run.newDatasetOutput(artifact.KindText, mix.OutputSchema(schemas))
	if err != nil {
		return nil, err
	}
	defer out.abort()
	st, err := mix.Run(ctx, sources, out.w, cfg, run.Seed, run)
	if err != nil {
		return nil, err
	}
	run.Metrics(st.Metrics())
	digest, err := out.commit(nil)
	if err != nil {
		return nil, err
	}
	return map[string]string{"data": digest}, nil
}
