package runview

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
)

// ReadArtifact gathers an artifact page: manifest, schema and the first n
// rows of a dataset. ref is a digest or a unique prefix of one.
func ReadArtifact(ctx context.Context, storeDir, ref string, n int) (*ArtifactPage, error) {
	store, err := artifact.OpenStore(storeDir)
	if err != nil {
		return nil, err
	}
	digest, err := store.ResolveDigest(ref)
	if err != nil {
		return nil, err
	}
	m, err := store.Manifest(digest)
	if err != nil {
		return nil, err
	}
	p := &ArtifactPage{Manifest: m, Path: store.Path(digest), Meta: m.Meta}
	if strings.HasPrefix(m.Kind, "dataset/") {
		ds, err := artifact.OpenDataset(p.Path)
		if err != nil {
			return nil, err
		}
		p.Schema = schemaFields(ds.Schema())
		if p.Sample, err = ReadSample(ctx, p.Path, n, 300); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func schemaFields(s *arrow.Schema) []SchemaField {
	var out []SchemaField
	for _, f := range s.Fields() {
		out = append(out, SchemaField{Name: f.Name, Type: f.Type.String()})
	}
	return out
}
