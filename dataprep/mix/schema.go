package mix

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
)

// OutputSchema is the schema Run writes for sources of these schemas: id
// and text, the extra columns every source has with the same type (in the
// first source's order; types a text dataset's ingest produces: utf8,
// int64, float64, bool), then the utf8 source column. Other extra columns
// are dropped, since a row of a source without them could not fill them.
func OutputSchema(in []*arrow.Schema) *arrow.Schema {
	var extra []arrow.Field
	if len(in) > 0 {
		for _, f := range in[0].Fields() {
			if f.Name == artifact.ColID || f.Name == artifact.ColText || f.Name == SourceColumn || !copyable(f.Type) {
				continue
			}
			if inAll(f, in[1:]) {
				extra = append(extra, f)
			}
		}
	}
	return artifact.TextSchema(append(extra, arrow.Field{Name: SourceColumn, Type: arrow.BinaryTypes.String})...)
}

func inAll(f arrow.Field, schemas []*arrow.Schema) bool {
	for _, s := range schemas {
		idx := s.FieldIndices(f.Name)
		if len(idx) != 1 || !arrow.TypeEqual(s.Field(idx[0]).Type, f.Type) {
			return false
		}
	}
	return true
}

func copyable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.INT64, arrow.FLOAT64, arrow.BOOL:
		return true
	}
	return false
}
