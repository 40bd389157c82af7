package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/llmflow/llmflow/artifact"
)

type upper struct{ n int }

func (u *upper) Map(text string, r *Result) {
	u.n++
	switch {
	case strings.HasPrefix(text, "drop"):
		r.Drop, r.Reason = true, "dropped"
	case strings.HasPrefix(text, "keep"):
		// unchanged
	default:
		r.Text = strings.ToUpper(text)
	}
	if len(r.Extra) > 0 {
		r.Extra[0] = "en"
	}
}

func runJSONL(t *testing.T, in string, opt JSONLOptions) (string, string, error) {
	t.Helper()
	var out, rej bytes.Buffer
	opt.Rejects = &rej
	_, err := RunJSONL(context.Background(), strings.NewReader(in), &out, opt, func(int) *upper { return &upper{} })
	return out.String(), rej.String(), err
}

func TestRunJSONL(t *testing.T) {
	in := `{"id": 1, "text": "keep me", "meta": {"a": [1, 2, {"text": "inner"}]}}` + "\n" +
		`{"text":"change \u00e9\n","id":2}` + "\r\n" +
		"\n" +
		`{"id":3,"text":"drop this"}` + "\n" +
		`{"id":4,"text":null}` + "\n" +
		`{"id":5, "language": "xx", "text": "tab\there"  }`
	out, rej, err := runJSONL(t, in, JSONLOptions{Options: Options{Extra: []string{"language"}, Workers: 2, BatchRows: 2}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id": 1, "text": "keep me", "meta": {"a": [1, 2, {"text": "inner"}]},"language":"en"}` + "\n" +
		`{"text":"CHANGE É\n","id":2,"language":"en"}` + "\r\n" +
		"\n" +
		`{"id":4,"text":null}` + "\n" +
		`{"id":5, "language": "en", "text": "TAB\tHERE"  }`
	if out != want {
		t.Fatalf("output:\n%s\nwant:\n%s", out, want)
	}
	if rej != `{"id":3,"text":"drop this","reason":"dropped"}`+"\n" {
		t.Fatalf("rejects: %q", rej)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) != "" && !json.Valid([]byte(line)) {
			t.Fatalf("invalid JSON line %q", line)
		}
	}
}

func TestRunJSONLUntouchedIsByteIdentical(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "{\"text\": \"keep %d \\u4e2d \\\"q\\\"\",  \"n\" : %d.50 }\n", i, i)
	}
	for _, w := range []int{1, 2, 4} {
		out, _, err := runJSONL(t, b.String(), JSONLOptions{Options: Options{Workers: w, BatchRows: 37}})
		if err != nil {
			t.Fatal(err)
		}
		if out != b.String() {
			t.Fatalf("workers=%d: untouched lines changed", w)
		}
	}
}

func TestRunJSONLErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"{\"text\":\"a\"}\n[1,2]\n", "in.jsonl:2: column 1: invalid JSON: want an object"},
		{"{\"id\":1}\n", `in.jsonl:1: missing field "text"`},
		{"{\"text\":5}\n", `in.jsonl:1: field "text" holds 5, want a string`},
		{"{\"text\":\"a\" x}\n", "in.jsonl:1: column 13: invalid JSON"},
		{"{\"text\":\"unterminated}\n", "in.jsonl:1: column 9: invalid JSON: unterminated string"},
	}
	for _, c := range cases {
		_, _, err := runJSONL(t, c.in, JSONLOptions{Name: "in.jsonl"})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want prefix %q", c.in, err, c.want)
		}
	}
}

func FuzzJSONLine(f *testing.F) {
	for _, s := range []string{`{"text":"a"}`, `{"a":[{"text":1}],"text":"\ud83d\ude00\n"}`, `{}`, `{"text":"\u0000"}`, `{"text":"x","text":"y"}`} {
		f.Add(s, "new \"value\"\n")
	}
	f.Fuzz(func(t *testing.T, line, value string) {
		val, _, found, err := objectField([]byte(line), "text")
		if err != nil {
			return
		}
		if found {
			raw := []byte(line)[val.start:val.end]
			if _, err := decodeString(raw, nil); err != nil && line[val.start] == '"' {
				// A string our scanner accepts but cannot decode must also
				// be rejected by encoding/json, except for what the input
				// policy refuses and encoding/json replaces by U+FFFD.
				if json.Valid([]byte(line)) && utf8.Valid(raw) && !errors.Is(err, artifact.ErrLoneSurrogate) {
					t.Fatalf("decode failed on valid JSON %q: %v", line, err)
				}
			}
		}
		out, err := setField(nil, []byte(line), "text", value)
		if err != nil {
			t.Fatalf("setField failed after objectField succeeded: %v", err)
		}
		if json.Valid([]byte(line)) {
			var m map[string]any
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatalf("setField(%q) = %q: %v", line, out, err)
			}
			var want []rune
			for _, r := range value { // one U+FFFD per invalid byte
				want = append(want, r)
			}
			if got, _ := m["text"].(string); got != string(want) {
				t.Fatalf("setField(%q) text = %q, want %q", line, got, value)
			}
		}
	})
}
