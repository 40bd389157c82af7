package artifact

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Column names shared by the dataset kinds.
const (
	ColID        = "id"
	ColText      = "text"
	ColInputIDs  = "input_ids"
	ColLossMask  = "loss_mask"
	ColDocStarts = "doc_starts"
	ColPrompt    = "prompt"
	ColResponse  = "response"
	ColChosen    = "chosen"
	ColRejected  = "rejected"
)

// TextSchema returns the schema of a text dataset: id utf8, text utf8 (both
// non-null), followed by the extra fields in the order given.
func TextSchema(extra ...arrow.Field) *arrow.Schema {
	return stringSchema([]string{ColID, ColText}, extra)
}

// TokensSchema returns the schema of a token dataset: input_ids
// list<int32>, plus loss_mask list<uint8> and doc_starts list<int32> when
// asked for.
func TokensSchema(lossMask, docStarts bool) *arrow.Schema {
	fields := []arrow.Field{{Name: ColInputIDs, Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)}}
	if lossMask {
		fields = append(fields, arrow.Field{Name: ColLossMask, Type: arrow.ListOf(arrow.PrimitiveTypes.Uint8)})
	}
	if docStarts {
		fields = append(fields, arrow.Field{Name: ColDocStarts, Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)})
	}
	return arrow.NewSchema(fields, nil)
}

// InstructionSchema returns prompt utf8, response utf8 followed by extra.
func InstructionSchema(extra ...arrow.Field) *arrow.Schema {
	return stringSchema([]string{ColPrompt, ColResponse}, extra)
}

// PreferenceSchema returns prompt utf8, chosen utf8, rejected utf8 followed by extra.
func PreferenceSchema(extra ...arrow.Field) *arrow.Schema {
	return stringSchema([]string{ColPrompt, ColChosen, ColRejected}, extra)
}

func stringSchema(names []string, extra []arrow.Field) *arrow.Schema {
	fields := make([]arrow.Field, 0, len(names)+len(extra))
	for _, n := range names {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.BinaryTypes.String})
	}
	return arrow.NewSchema(append(fields, extra...), nil)
}

// SchemaString renders a schema compactly and deterministically, e.g.
// "id: utf8, text: utf8, score: float64?" (a trailing ? marks nullable),
// for manifests and listings.
func SchemaString(s *arrow.Schema) string {
	var b strings.Builder
	for i, f := range s.Fields() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name)
		b.WriteString(": ")
		b.WriteString(f.Type.String())
		if f.Nullable {
			b.WriteByte('?')
		}
	}
	return b.String()
}
