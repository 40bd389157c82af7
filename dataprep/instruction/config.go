package instruction

import (
	"fmt"
	"sort"
	"strings"
)

// Shapes of input records.
const (
	ShapeAlpaca         = "alpaca"
	ShapeQA             = "qa"
	ShapePromptResponse = "prompt_response"
	ShapeMessages       = "messages"
)

// shapeFields lists each shape's fields with their default names, required
// ones first.
var shapeFields = map[string][]string{
	ShapeAlpaca:         {"instruction", "output", "input", "history", "system"},
	ShapeQA:             {"question", "answer", "system"},
	ShapePromptResponse: {"prompt", "response", "system"},
	ShapeMessages:       {"messages", "role", "content", "system"},
}

// Shapes returns the shape names, sorted.
func Shapes() []string {
	out := make([]string, 0, len(shapeFields))
	for s := range shapeFields {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Config is the `instructions` block: which shape the records have and
// where their fields are. Its hcl tags match the block's attributes.
type Config struct {
	// Shape is one of Shapes().
	Shape string `hcl:"shape" json:"shape"`
	// Fields renames a shape's fields: {question = "problem"}.
	Fields map[string]string `hcl:"fields,optional" json:"fields,omitempty"`
	// Roles maps role names found in messages records to system, user or
	// assistant: {human = "user", gpt = "assistant"}.
	Roles map[string]string `hcl:"roles,optional" json:"roles,omitempty"`
	// IDField names the field holding a record's id; a record without it
	// gets "<file base name>:<line>".
	IDField string `hcl:"id_field,optional" json:"id_field"`
	// OnError is "fail" (the first bad record is an error naming file and
	// line) or "skip" (bad records are counted and skipped).
	OnError string `hcl:"on_error,optional" json:"on_error"`
}

// DefaultConfig returns the defaults: id field "id", on_error "fail".
func DefaultConfig() Config { return Config{IDField: "id", OnError: "fail"} }

// Validate reports the first problem, naming the attribute.
func (c Config) Validate() error {
	fields, ok := shapeFields[c.Shape]
	if !ok {
		return fmt.Errorf("shape %q is not one of %s", c.Shape, strings.Join(Shapes(), ", "))
	}
	for _, k := range sortedKeys(c.Fields) {
		if !contains(fields, k) {
			return fmt.Errorf("fields: %q is not a field of shape %s (it has %s)", k, c.Shape, strings.Join(fields, ", "))
		}
		if c.Fields[k] == "" {
			return fmt.Errorf("fields: %q maps to an empty name", k)
		}
	}
	if len(c.Roles) > 0 && c.Shape != ShapeMessages {
		return fmt.Errorf("roles: only shape %q has roles", ShapeMessages)
	}
	for _, k := range sortedKeys(c.Roles) {
		switch c.Roles[k] {
		case "system", "user", "assistant":
		default:
			return fmt.Errorf("roles: %q maps to %q, want system, user or assistant", k, c.Roles[k])
		}
	}
	if c.OnError != "fail" && c.OnError != "skip" {
		return fmt.Errorf("on_error must be \"fail\" or \"skip\", not %q", c.OnError)
	}
	return nil
}

// field returns the record field name of a shape field.
func (c Config) field(name string) string {
	if f, ok := c.Fields[name]; ok {
		return f
	}
	return name
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
