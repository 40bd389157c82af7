package eval

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// choicesOf reads example i's candidate answers (a JSON array) and the
// index of the correct one.
func (p *prompting) choicesOf(i int) ([]string, int, error) {
	id := p.set.rows[i].id
	raw, err := p.set.value(i, p.c.ChoicesField)
	if err != nil {
		return nil, 0, err
	}
	choices, err := parseChoices(raw)
	if err != nil {
		return nil, 0, fmt.Errorf("eval: input %q, example %q: field %q: %w", p.set.input, id, p.c.ChoicesField, err)
	}
	lv, err := p.set.value(i, p.c.LabelField)
	if err != nil {
		return nil, 0, err
	}
	label, err := parseLabel(lv, choices)
	if err != nil {
		return nil, 0, fmt.Errorf("eval: input %q, example %q: field %q: %w", p.set.input, id, p.c.LabelField, err)
	}
	return choices, label, nil
}

// parseChoices reads a JSON array of two or more strings or numbers.
func parseChoices(raw string) ([]string, error) {
	var vals []json.RawMessage
	if err := json.Unmarshal([]byte(raw), &vals); err != nil {
		return nil, fmt.Errorf("want a JSON array of choices, got %.40q", raw)
	}
	if len(vals) < 2 {
		return nil, fmt.Errorf("want two or more choices, got %d", len(vals))
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		var s string
		if err := json.Unmarshal(v, &s); err == nil {
			out[i] = s
			continue
		}
		var n json.Number
		if err := json.Unmarshal(v, &n); err != nil {
			return nil, fmt.Errorf("choice %d is %s, want a string or a number", i, v)
		}
		out[i] = n.String()
	}
	return out, nil
}

// parseLabel reads the correct choice: a 0-based index, else the text of a
// choice, else a letter (A for the first).
func parseLabel(v string, choices []string) (int, error) {
	v = strings.TrimSpace(v)
	// A column mixing numbers and strings holds JSON text.
	var s string
	if strings.HasPrefix(v, `"`) && json.Unmarshal([]byte(v), &s) == nil {
		v = s
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 || n >= len(choices) {
			return 0, fmt.Errorf("label %d is outside the %d choices (labels are 0-based)", n, len(choices))
		}
		return n, nil
	}
	for i, c := range choices {
		if c == v {
			return i, nil
		}
	}
	if len(v) == 1 && v[0] >= 'A' && int(v[0]-'A') < len(choices) {
		return int(v[0] - 'A'), nil
	}
	return 0, fmt.Errorf("label %q is neither an index, a choice nor a letter A-%c", v, 'A'+len(choices)-1)
}
