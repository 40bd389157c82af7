package preference

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/instruction"
)

// Pair is one preference: the conversation the answers reply to (system
// and earlier turns, ending with a user turn) and the two answers.
type Pair struct {
	ID               string
	Prompt           []chat.Message
	Chosen, Rejected string
}

// Check reports what makes p unusable for training.
func (p Pair) Check() error {
	if len(p.Prompt) == 0 || p.Prompt[len(p.Prompt)-1].Role != chat.RoleUser {
		return fmt.Errorf("the prompt must end with a user turn")
	}
	conv := append(append([]chat.Message(nil), p.Prompt...), chat.Message{Role: chat.RoleAssistant, Content: p.Chosen})
	if err := chat.CheckConversation(conv); err != nil {
		return err
	}
	if p.Chosen == p.Rejected {
		return fmt.Errorf("chosen and rejected are the same answer")
	}
	return nil
}

// Schema is a preference dataset's: prompt (the last user turn, for
// reading), chosen, rejected, id, system, and messages (the whole prompt
// conversation as JSON, what the stages render).
func Schema() *arrow.Schema {
	str := arrow.BinaryTypes.String
	return artifact.PreferenceSchema(
		arrow.Field{Name: artifact.ColID, Type: str},
		arrow.Field{Name: instruction.ColSystem, Type: str},
		arrow.Field{Name: instruction.ColMessages, Type: str, Metadata: arrow.NewMetadata([]string{"encoding"}, []string{"json"})},
	)
}

// Writer writes pairs into a preference dataset.
type Writer struct {
	w    *artifact.RecordWriter
	rows int64
}

// NewWriter starts a preference dataset in dir.
func NewWriter(dir string) (*Writer, error) {
	w, err := artifact.NewRecordWriter(dir, Schema())
	if err != nil {
		return nil, err
	}
	return &Writer{w: w}, nil
}

// Append writes p, which must pass Check.
func (w *Writer) Append(p Pair) error {
	if err := p.Check(); err != nil {
		return fmt.Errorf("pair %s: %v", p.ID, err)
	}
	msgs, err := chat.MarshalMessages(p.Prompt)
	if err != nil {
		return err
	}
	system := ""
	if p.Prompt[0].Role == chat.RoleSystem {
		system = p.Prompt[0].Content
	}
	b := w.w.Builder()
	size := 0
	for i, v := range []string{p.Prompt[len(p.Prompt)-1].Content, p.Chosen, p.Rejected, p.ID, system, string(msgs)} {
		b.Field(i).(*array.StringBuilder).Append(v)
		size += len(v)
	}
	w.rows++
	return w.w.RowDone(size)
}

// Rows returns the number of pairs appended.
func (w *Writer) Rows() int64 { return w.rows }

// Close finishes the dataset.
func (w *Writer) Close() error { return w.w.Close() }

// Abort removes what was written.
func (w *Writer) Abort() { w.w.Abort() }

// Read returns the pairs of the preference dataset in dir, in row order.
// A row's prompt conversation is its messages column where present, else
// system and prompt. Errors name the dataset and row.
func Read(ctx context.Context, dir string) ([]Pair, error) {
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
	prompt, chosen, rejected := col(artifact.ColPrompt), col(artifact.ColChosen), col(artifact.ColRejected)
	id, system, msgs := col(artifact.ColID), col(instruction.ColSystem), col(instruction.ColMessages)
	if chosen < 0 || rejected < 0 || (prompt < 0 && msgs < 0) {
		return nil, fmt.Errorf("%s: a preference dataset needs %s and %s columns and %s or %s (utf8)", dir,
			artifact.ColChosen, artifact.ColRejected, artifact.ColPrompt, instruction.ColMessages)
	}
	var out []Pair
	row := 0
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		str := func(c, i int) (string, bool) {
			if c < 0 || rec.Column(c).IsNull(i) {
				return "", false
			}
			return rec.Column(c).(*array.String).Value(i), true
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			var p Pair
			p.ID, _ = str(id, i)
			if p.ID == "" {
				p.ID = fmt.Sprintf("row %d", row)
			}
			if s, ok := str(msgs, i); ok && s != "" {
				var err error
				if p.Prompt, err = chat.UnmarshalMessages([]byte(s)); err != nil {
					return fmt.Errorf("%s: row %d: %v", dir, row, err)
				}
			} else {
				if s, ok := str(system, i); ok && s != "" {
					p.Prompt = append(p.Prompt, chat.Message{Role: chat.RoleSystem, Content: s})
				}
				s, _ := str(prompt, i)
				p.Prompt = append(p.Prompt, chat.Message{Role: chat.RoleUser, Content: s})
			}
			p.Chosen, _ = str(chosen, i)
			p.Rejected, _ = str(rejected, i)
			if err := p.Check(); err != nil {
				return fmt.Errorf("%s: row %d (id %s): %v", dir, row, p.ID, err)
			}
			out = append(out, p)
			row++
		}
		return nil
	})
	return out, err
}
