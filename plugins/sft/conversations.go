package sft

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/instruction"
)

// ReadConversations returns the conversations of the instruction dataset in
// dir, in row order: the messages column when a row has it, else system,
// prompt and response. Each is checked (chat.CheckConversation); an error
// names the dataset and row.
func ReadConversations(ctx context.Context, dir string) ([][]chat.Message, error) {
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		return nil, err
	}
	sc := ds.Schema()
	col := func(name string) int {
		if i := sc.FieldIndices(name); len(i) == 1 && sc.Field(i[0]).Type.ID() == arrow.STRING {
			return i[0]
		}
		return -1
	}
	msgs, prompt, response, system := col(instruction.ColMessages), col(artifact.ColPrompt), col(artifact.ColResponse), col(instruction.ColSystem)
	if msgs < 0 && (prompt < 0 || response < 0) {
		return nil, fmt.Errorf("%s: an instruction dataset needs a %s column, or %s and %s (utf8)", dir, instruction.ColMessages, artifact.ColPrompt, artifact.ColResponse)
	}
	var out [][]chat.Message
	row := 0
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		str := func(c, i int) (string, bool) {
			if c < 0 || rec.Column(c).IsNull(i) {
				return "", false
			}
			return rec.Column(c).(*array.String).Value(i), true
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			var conv []chat.Message
			if s, ok := str(msgs, i); ok {
				var err error
				if conv, err = chat.UnmarshalMessages([]byte(s)); err != nil {
					return fmt.Errorf("%s: row %d: %v", dir, row, err)
				}
			} else {
				if s, ok := str(system, i); ok && s != "" {
					conv = append(conv, chat.Message{Role: chat.RoleSystem, Content: s})
				}
				p, _ := str(prompt, i)
				r, _ := str(response, i)
				conv = append(conv, chat.Message{Role: chat.RoleUser, Content: p}, chat.Message{Role: chat.RoleAssistant, Content: r})
			}
			if err := chat.CheckConversation(conv); err != nil {
				return fmt.Errorf("%s: row %d: %v", dir, row, err)
			}
			out = append(out, conv)
			row++
		}
		return nil
	})
	return out, err
}
