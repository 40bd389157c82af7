package instruction

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/llmflow/llmflow/dataprep/chat"
)

// Example is one mapped record.
type Example struct {
	ID       string
	Messages []chat.Message
}

// Prompt returns the last user turn.
func (e Example) Prompt() string { return e.last(chat.RoleUser) }

// Response returns the last assistant turn.
func (e Example) Response() string { return e.last(chat.RoleAssistant) }

// System returns the system turn, or "".
func (e Example) System() string {
	if len(e.Messages) > 0 && e.Messages[0].Role == chat.RoleSystem {
		return e.Messages[0].Content
	}
	return ""
}

func (e Example) last(role string) string {
	for i := len(e.Messages) - 1; i >= 0; i-- {
		if e.Messages[i].Role == role {
			return e.Messages[i].Content
		}
	}
	return ""
}

// Map decodes one JSON object line and maps it to an Example; id is used
// when the record has no id field. Errors name the field at fault.
func (c Config) Map(line []byte, id string) (Example, error) {
	rec, err := DecodeRecord(line)
	if err != nil {
		return Example{}, err
	}
	return c.MapRecord(rec, id)
}

// DecodeRecord decodes one JSONL line holding a JSON object into field ->
// JSON value.
func DecodeRecord(line []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(line) {
		return nil, fmt.Errorf("record is not valid UTF-8")
	}
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(line, &rec); err != nil {
		return nil, fmt.Errorf("record is not a JSON object: %v", err)
	}
	if rec == nil {
		return nil, fmt.Errorf("record is null, want a JSON object")
	}
	return rec, nil
}

// MapRecord maps a decoded record (field -> JSON value) to an Example; id
// is used when the record has no id field.
func (c Config) MapRecord(rec map[string]json.RawMessage, id string) (Example, error) {
	ex := Example{ID: id}
	if raw, ok := rec[c.IDField]; ok && !IsNull(raw) {
		v, err := IDValue(raw)
		if err != nil {
			return Example{}, fmt.Errorf("field %q: %v", c.IDField, err)
		}
		ex.ID = v
	}
	r := newReader(c, rec)
	system := r.Str("system", false)
	var turns []chat.Message
	switch c.Shape {
	case ShapeAlpaca:
		prompt := r.Str("instruction", true)
		if in := r.Str("input", false); in != "" {
			prompt += "\n\n" + in
		}
		turns = append(r.history(), chat.Message{Role: chat.RoleUser, Content: prompt},
			chat.Message{Role: chat.RoleAssistant, Content: r.Str("output", true)})
	case ShapeQA:
		turns = r.pair("question", "answer")
	case ShapePromptResponse:
		turns = r.pair("prompt", "response")
	case ShapeMessages:
		turns = r.messages()
	default:
		return Example{}, fmt.Errorf("shape %q is not one of the known shapes; this is a bug in llmflow", c.Shape)
	}
	if r.Err != nil {
		return Example{}, r.Err
	}
	if system != "" {
		if len(turns) > 0 && turns[0].Role == chat.RoleSystem {
			return Example{}, fmt.Errorf("field %q and a system message both give a system turn", c.field("system"))
		}
		turns = append([]chat.Message{{Role: chat.RoleSystem, Content: system}}, turns...)
	}
	if err := chat.CheckConversation(turns); err != nil {
		return Example{}, err
	}
	ex.Messages = turns
	return ex, nil
}

// reader pulls a shape's typed fields out of one record.
type reader struct {
	FieldReader
	c Config
}

func newReader(c Config, rec map[string]json.RawMessage) *reader {
	return &reader{FieldReader: FieldReader{Rec: rec, Name: c.field}, c: c}
}

// FieldReader pulls typed fields out of one decoded record, keeping the
// first error. Name maps a shape's field name to the record's.
type FieldReader struct {
	Rec  map[string]json.RawMessage
	Name func(string) string
	Err  error
}

// Fail records an error unless one is recorded.
func (r *FieldReader) Fail(format string, args ...any) {
	if r.Err == nil {
		r.Err = fmt.Errorf(format, args...)
	}
}

// Raw returns a field's value; a missing or null optional field is absent
// without error.
func (r *FieldReader) Raw(name string, required bool) (json.RawMessage, bool) {
	f := r.Name(name)
	v, ok := r.Rec[f]
	if !ok || IsNull(v) {
		if required {
			r.Fail("missing field %q", f)
		}
		return nil, false
	}
	return v, true
}

// Str returns a string field's value, "" when absent.
func (r *FieldReader) Str(name string, required bool) string {
	v, ok := r.Raw(name, required)
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		r.Fail("field %q is %s, want a string", r.Name(name), KindOf(v))
	}
	return s
}

func (r *reader) pair(user, assistant string) []chat.Message {
	return []chat.Message{{Role: chat.RoleUser, Content: r.Str(user, true)}, {Role: chat.RoleAssistant, Content: r.Str(assistant, true)}}
}

// history reads alpaca's earlier turns: [[user, assistant], ...].
func (r *reader) history() []chat.Message {
	v, ok := r.Raw("history", false)
	if !ok {
		return nil
	}
	out, err := ParseHistory(v)
	if err != nil {
		r.Fail("field %q: %v", r.c.field("history"), err)
	}
	return out
}

// ParseHistory reads earlier turns given as [[user, assistant], ...],
// oldest first; errors read after the field's name.
func ParseHistory(v json.RawMessage) ([]chat.Message, error) {
	var pairs [][]string
	if err := json.Unmarshal(v, &pairs); err != nil {
		return nil, fmt.Errorf("must be a list of [user, assistant] string pairs")
	}
	var out []chat.Message
	for i, p := range pairs {
		if len(p) != 2 {
			return nil, fmt.Errorf("entry %d has %d strings, want [user, assistant]", i, len(p))
		}
		out = append(out, chat.Message{Role: chat.RoleUser, Content: p[0]}, chat.Message{Role: chat.RoleAssistant, Content: p[1]})
	}
	return out, nil
}

// messages reads a list of {role, content} objects.
func (r *reader) messages() []chat.Message {
	v, ok := r.Raw("messages", true)
	if !ok {
		return nil
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(v, &list); err != nil {
		r.Fail("field %q must be a list of objects with %q and %q", r.c.field("messages"), r.c.field("role"), r.c.field("content"))
		return nil
	}
	out := make([]chat.Message, 0, len(list))
	for i, m := range list {
		turn := newReader(r.c, m)
		role := turn.Str("role", true)
		content := turn.Str("content", true)
		if turn.Err != nil {
			r.Fail("field %q, message %d: %v", r.c.field("messages"), i, turn.Err)
			return nil
		}
		if alias, ok := r.c.Roles[role]; ok {
			role = alias
		}
		out = append(out, chat.Message{Role: role, Content: content})
	}
	return out
}

// IsNull reports whether v is JSON null.
func IsNull(v json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(v), []byte("null")) }

// IDValue reads a record id: a string or a number (kept as its literal).
func IDValue(v json.RawMessage) (string, error) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(v, &n) == nil {
		if _, err := strconv.ParseFloat(n.String(), 64); err == nil {
			return n.String(), nil
		}
	}
	return "", fmt.Errorf("is %s, want a string or a number", KindOf(v))
}

// KindOf names the JSON type of v for error messages ("a string").
func KindOf(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "empty"
	}
	switch v[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
