package stream

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact"
)

// TestJSONLPolicyMatchesIngest feeds the same bad rows to the dataset
// node's JSONL ingest and to RunJSONL (the reader of llmflow prep): both
// refuse each one with the same message, naming the file and the line.
func TestJSONLPolicyMatchesIngest(t *testing.T) {
	good := `{"text":"fine"}` + "\n"
	for _, tc := range []struct{ name, line, want string }{
		{"invalid utf8", "{\"text\":\"a\xffb\"}", "column 11: invalid UTF-8 byte 0xff"},
		{"invalid utf8 in other field", "{\"text\":\"ab\",\"meta\":\"\xc3\"}", "column 22: invalid UTF-8 byte 0xc3"},
		{"too deep", `{"text":"x","m":` + strings.Repeat("[", artifact.MaxJSONDepth) + strings.Repeat("]", artifact.MaxJSONDepth) + "}",
			"invalid JSON: nested deeper than 1000"},
		{"lone surrogate", `{"text":"a\ud800b"}`, "lone UTF-16 surrogate"},
		{"bad escape", `{"text":"a\qb"}`, `column 11: invalid JSON: invalid escape \q`},
		{"control character", "{\"text\":\"a\x01\"}", "column 11: invalid JSON: control character 0x01 in string"},
		{"trailing data", `{"text":"a"} x`, "column 14: invalid JSON: unexpected data after the object"},
		{"too long", `{"text":"` + strings.Repeat("a", artifact.MaxLineBytes) + `"}`, "line longer than 67108864 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "in.jsonl")
			if err := os.WriteFile(path, []byte(good+tc.line+"\n"+good), 0o644); err != nil {
				t.Fatal(err)
			}
			want := path + ":2: "
			_, ingestErr := artifact.Ingest(context.Background(), []string{path}, filepath.Join(t.TempDir(), "out"), artifact.IngestOptions{})
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, prepErr := RunJSONL(context.Background(), f, io.Discard, JSONLOptions{Name: path}, func(int) *upper { return &upper{} })
			for name, err := range map[string]error{"ingest": ingestErr, "RunJSONL": prepErr} {
				if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s: error %v, want %q ... %q", name, err, want, tc.want)
				}
			}
			if ingestErr != nil && prepErr != nil && ingestErr.Error() != prepErr.Error() {
				t.Errorf("messages differ:\ningest:   %v\nRunJSONL: %v", ingestErr, prepErr)
			}
		})
	}
}
