package preference

import (
	"encoding/json"
	"fmt"

	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/dataprep/instruction"
)

// Record is one mapped source record.
type Record struct {
	ID string
	// Prompt is the conversation every pair of the record answers.
	Prompt []chat.Message
	// Key decides the record's side of the held-out split: its prompt
	// conversation, so records asking the same thing share a side, and the
	// split depends on neither ids, file names, order nor shards.
	Key   string
	Pairs []Pair
	// Identical counts ranked answer pairs dropped because both answers
	// are the same text, which states no preference.
	Identical int
}

// Map decodes one JSON object line and maps it to a Record; id is used
// when the record has no id field. Errors name the field at fault.
func (c Config) Map(line []byte, id string) (Record, error) {
	rec, err := instruction.DecodeRecord(line)
	if err != nil {
		return Record{}, err
	}
	return c.MapRecord(rec, id)
}

// MapRecord maps a decoded record (field -> JSON value) to a Record; id is
// used when the record has no id field. Every pair it returns passes
// Pair.Check.
func (c Config) MapRecord(rec map[string]json.RawMessage, id string) (Record, error) {
	out := Record{ID: id}
	if raw, ok := rec[c.IDField]; ok && !instruction.IsNull(raw) {
		v, err := instruction.IDValue(raw)
		if err != nil {
			return Record{}, fmt.Errorf("field %q: %v", c.IDField, err)
		}
		out.ID = v
	}
	r := reader{FieldReader: instruction.FieldReader{Rec: rec, Name: c.field}, c: c}
	var prompt []chat.Message
	var answers []string // ranked best first
	switch c.Shape {
	case ShapePairs:
		prompt = r.prompt("prompt")
		answers = []string{r.answer("chosen"), r.answer("rejected")}
	case ShapeRanked:
		prompt = r.prompt("instruction")
		answers = r.ranked()
	case ShapeHH:
		chosen, rejected := r.Str("chosen", true), r.Str("rejected", true)
		if r.Err == nil {
			var a, b string
			prompt, a, b, r.Err = SplitHH(chosen, rejected)
			answers = []string{a, b}
			for i, which := range []string{"chosen", "rejected"} {
				if r.Err == nil && answers[i] == "" {
					r.Fail("the %s answer (after the last Assistant turn of field %q) is empty", which, r.c.field(which))
				}
			}
		}
	default:
		return Record{}, fmt.Errorf("shape %q is not one of the known shapes; this is a bug in llmflow", c.Shape)
	}
	if r.Err != nil {
		return Record{}, r.Err
	}
	for _, p := range c.expand(answers) {
		pair := Pair{ID: out.ID, Prompt: prompt, Chosen: answers[p[0]], Rejected: answers[p[1]]}
		if len(answers) > 2 || c.Shape == ShapeRanked {
			pair.ID = fmt.Sprintf("%s/%d>%d", out.ID, p[0], p[1])
		}
		if c.Shape == ShapeRanked && pair.Chosen == pair.Rejected {
			out.Identical++
			continue
		}
		if err := pair.Check(); err != nil {
			return Record{}, err
		}
		out.Pairs = append(out.Pairs, pair)
	}
	msgs, err := chat.MarshalMessages(prompt)
	if err != nil {
		return Record{}, err
	}
	out.Key = string(msgs)
	out.Prompt = prompt
	return out, nil
}

// expand lists the (better, worse) index pairs of answers, best first.
func (c Config) expand(answers []string) [][2]int {
	if c.Shape != ShapeRanked {
		return [][2]int{{0, 1}}
	}
	var out [][2]int
	for i := 0; i < len(answers); i++ {
		for j := i + 1; j < len(answers); j++ {
			switch {
			case c.RankedPairs == RankedAll,
				c.RankedPairs == RankedBestVsRest && i == 0,
				c.RankedPairs == RankedAdjacent && j == i+1:
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

// reader pulls a shape's typed fields out of one record.
type reader struct {
	instruction.FieldReader
	c Config
}

// answer reads a required, non-empty answer.
func (r *reader) answer(name string) string {
	s := r.Str(name, true)
	if r.Err == nil && s == "" {
		r.Fail("field %q is empty", r.c.field(name))
	}
	return s
}

// prompt reads the conversation the answers reply to: system, history
// ([[user, assistant], ...]) and the user turn in field user, followed for
// shape ranked by a blank line and the input when it is not empty.
func (r *reader) prompt(user string) []chat.Message {
	var conv []chat.Message
	if s := r.Str("system", false); s != "" {
		conv = append(conv, chat.Message{Role: chat.RoleSystem, Content: s})
	}
	if v, ok := r.Raw("history", false); ok {
		h, err := instruction.ParseHistory(v)
		if err != nil {
			r.Fail("field %q: %v", r.c.field("history"), err)
		}
		conv = append(conv, h...)
	}
	turn := r.Str(user, true)
	if r.c.Shape == ShapeRanked {
		if in := r.Str("input", false); in != "" {
			turn += "\n\n" + in
		}
	}
	if r.Err == nil && turn == "" {
		r.Fail("field %q is empty", r.c.field(user))
	}
	conv = append(conv, chat.Message{Role: chat.RoleUser, Content: turn})
	if r.Err == nil {
		if err := chat.CheckConversation(append(conv, chat.Message{Role: chat.RoleAssistant, Content: "."})); err != nil {
			r.Fail("prompt conversation: %v", err)
		}
	}
	return conv
}

// ranked reads at least two answers, best first.
func (r *reader) ranked() []string {
	v, ok := r.Raw("output", true)
	if !ok {
		return nil
	}
	f := r.c.field("output")
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		r.Fail("field %q is %s, want a list of answers, best first", f, instruction.KindOf(v))
		return nil
	}
	if len(list) < 2 {
		r.Fail("field %q has %d answers, want at least 2 ranked best first", f, len(list))
		return nil
	}
	for i, a := range list {
		if a == "" {
			r.Fail("field %q: answer %d is empty", f, i)
			return nil
		}
	}
	return list
}
