package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact"
)

var prepSentences = []string{
	"The river town grew quickly after the railway arrived in the spring of that year.",
	"Merchants opened shops along the main street and sold tools, cloth and fresh bread.",
	"Children walked to a small stone school that stood beside the old mill.",
	"Each autumn the farmers brought their harvest to a crowded market near the bridge.",
	"Visitors often remarked that the hills looked blue when clouds gathered over them.",
	"A local newspaper printed stories about weddings, storms and council meetings.",
	"Later, a library with thousands of books was built with money from several families.",
	"Today historians study letters and photographs to understand how people lived then.",
}

// prepInput writes a JSONL file: good documents (some with invisible
// characters), a duplicate, a short one, and one with an email address.
func prepInput(t *testing.T, dir string) string {
	t.Helper()
	good := strings.Join(prepSentences, "\n")
	docs := []string{
		good,
		"\u200b" + good + "\nWrite to jane.doe@example.com for details, please.",
		"too short",
		good,
	}
	var b strings.Builder
	for i, d := range docs {
		text, _ := json.Marshal(d)
		fmt.Fprintf(&b, "{\"id\": %d, \"text\": %s, \"meta\": {\"src\": \"t\"}}\n", i, text)
	}
	path := filepath.Join(dir, "in.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPrepJSONL(t *testing.T) {
	dir := t.TempDir()
	in := prepInput(t, dir)
	res := llmflow(t, dir, "prep", "clean", "--in", "in.jsonl", "--out", "out.jsonl", "--rejects", "rej.jsonl", "--workers", "2")
	if res.code != 0 {
		t.Fatalf("exit %d: %s%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stdout, "docs_kept                                3") || !strings.Contains(res.stdout, "dropped.top_2_gram") {
		t.Fatalf("metrics:\n%s", res.stdout)
	}
	inLines := strings.Split(strings.TrimSpace(readFile(t, in)), "\n")
	outLines := strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "out.jsonl"))), "\n")
	if len(outLines) != 3 {
		t.Fatalf("%d lines out", len(outLines))
	}
	// An untouched document keeps its bytes; only the language key is added.
	if want := strings.TrimSuffix(inLines[0], "}") + `,"language":"en"}`; outLines[0] != want {
		t.Fatalf("line 1:\n%s\nwant\n%s", outLines[0], want)
	}
	if strings.Contains(outLines[1], `\u200b`) || strings.Contains(outLines[1], "\u200b") || !strings.HasPrefix(outLines[1], `{"id": 1, "text": "The river`) {
		t.Fatalf("line 2 not cleaned: %.80s", outLines[1])
	}
	if rej := readFile(t, filepath.Join(dir, "rej.jsonl")); !strings.Contains(rej, `"reason":"top_2_gram"`) {
		t.Fatalf("rejects: %s", rej)
	}
	for _, name := range []string{"out.jsonl", "rej.jsonl"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.Mode().Perm() != 0o644 {
			t.Fatalf("%s: mode %v, want 0644 (%v)", name, st.Mode().Perm(), err)
		}
	}

	if res := llmflow(t, dir, "prep", "pii", "--in", "out.jsonl", "--out", "pii.jsonl"); res.code != 0 {
		t.Fatalf("pii exit %d: %s", res.code, res.stderr)
	}
	if out := readFile(t, filepath.Join(dir, "pii.jsonl")); strings.Contains(out, "jane.doe@example.com") {
		t.Fatal("email not scrubbed")
	}
	if res := llmflow(t, dir, "prep", "dedup", "--in", "pii.jsonl", "--out", "dedup.jsonl"); res.code != 0 {
		t.Fatalf("dedup exit %d: %s", res.code, res.stderr)
	}
	// Document 3 repeats document 0 and document 1 nearly does.
	if n := strings.Count(readFile(t, filepath.Join(dir, "dedup.jsonl")), "\n"); n != 1 {
		t.Fatalf("dedup kept %d lines, want 1", n)
	}
}

func TestPrepArrow(t *testing.T) {
	dir := t.TempDir()
	in := prepInput(t, dir)
	if _, err := artifact.Ingest(context.Background(), []string{in}, filepath.Join(dir, "ds"), artifact.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{"clean_ds", "clean.arrow"} {
		res := llmflow(t, dir, "prep", "clean", "--in", "ds", "--out", out, "--rejects", "rej_"+out)
		if res.code != 0 {
			t.Fatalf("%s: exit %d: %s%s", out, res.code, res.stdout, res.stderr)
		}
	}
	ds, err := artifact.OpenDataset(filepath.Join(dir, "clean_ds"))
	if err != nil || ds.Rows() != 3 {
		t.Fatalf("clean_ds: %v, %d rows", err, ds.Rows())
	}
	if ds.Schema().FieldIndices("language") == nil {
		t.Fatalf("no language column in %s", ds.Schema())
	}
	// A single .arrow file works as input too.
	if res := llmflow(t, dir, "prep", "pii", "--in", "clean.arrow", "--out", "pii.arrow"); res.code != 0 {
		t.Fatalf("pii: exit %d: %s", res.code, res.stderr)
	}
	if res := llmflow(t, dir, "prep", "dedup", "--in", "pii.arrow", "--out", "dedup_ds"); res.code != 0 {
		t.Fatalf("dedup: exit %d: %s", res.code, res.stderr)
	}
	if ds, err := artifact.OpenDataset(filepath.Join(dir, "dedup_ds")); err != nil || ds.Rows() != 1 {
		t.Fatalf("dedup_ds: %v", err)
	}
}

func TestPrepErrors(t *testing.T) {
	dir := t.TempDir()
	prepInput(t, dir)
	os.WriteFile(filepath.Join(dir, "bad.hcl"), []byte("min_words = 20\nbogus = 1\n"), 0o644)
	// Rows the dataset node refuses: prep refuses them the same way.
	os.WriteFile(filepath.Join(dir, "utf8.jsonl"), []byte("{\"text\":\"ok\"}\n{\"text\":\"a\xffb\"}\n"), 0o644)
	deep := `{"text":"x","m":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + "}\n"
	os.WriteFile(filepath.Join(dir, "deep.jsonl"), []byte(deep), 0o644)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"prep", "clean", "--in", "in.jsonl", "--out", "o.jsonl", "--config", "bad.hcl"}, exitInvalid, "bad.hcl line 2"},
		{[]string{"prep", "clean", "--in", "in.jsonl", "--out", "o.arrow"}, exitUsage, "prep keeps the format"},
		{[]string{"prep", "clean", "--in", "in.jsonl", "--out", "o.txt"}, exitUsage, "unknown extension"},
		{[]string{"prep", "pii", "--in", "in.jsonl"}, exitUsage, "needs --in and --out"},
		{[]string{"prep", "clean", "--in", "in.jsonl", "--out", "o.jsonl", "--field", "nope"}, exitError, `in.jsonl:1: missing field "nope"`},
		{[]string{"prep", "clean", "--in", "utf8.jsonl", "--out", "o.jsonl"}, exitError, "utf8.jsonl:2: column 11: invalid UTF-8 byte 0xff"},
		{[]string{"prep", "pii", "--in", "deep.jsonl", "--out", "o.jsonl"}, exitError, "deep.jsonl:1: column 1016: invalid JSON: nested deeper than 1000"},
	}
	for _, c := range cases {
		res := llmflow(t, dir, c.args...)
		if res.code != c.code || !strings.Contains(res.stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, res.code, res.stderr, c.code, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "o.jsonl")); err == nil {
		t.Error("a failed run left its output behind")
	}
}

// TestPrepErrorsNameUserPaths checks that prep's errors name the paths the
// user gave, never the temporary files and directories it writes first.
func TestPrepErrorsNameUserPaths(t *testing.T) {
	dir := t.TempDir()
	in := prepInput(t, dir)
	if _, err := artifact.Ingest(context.Background(), []string{in}, filepath.Join(dir, "ds"), artifact.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "corrupt.arrow"), []byte("ARROW1\x00\x00not an arrow file at all"), 0o644)
	// An output name taken by a directory fails only when the result is
	// moved into place.
	os.Mkdir(filepath.Join(dir, "taken.jsonl"), 0o755)
	os.WriteFile(filepath.Join(dir, "taken.jsonl", "keep"), nil, 0o644)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"corrupt arrow input", []string{"prep", "clean", "--in", "corrupt.arrow", "--out", "o.arrow"}, "corrupt.arrow: not a readable Arrow IPC file"},
		{"jsonl output", []string{"prep", "pii", "--in", "in.jsonl", "--out", "taken.jsonl"}, "cannot write taken.jsonl:"},
		{"jsonl rejects", []string{"prep", "clean", "--in", "in.jsonl", "--out", "o.jsonl", "--rejects", "taken.jsonl"}, "cannot write taken.jsonl:"},
		{"missing output directory", []string{"prep", "pii", "--in", "in.jsonl", "--out", "no/such/o.jsonl"}, "cannot write no/such/o.jsonl:"},
		{"missing arrow output directory", []string{"prep", "pii", "--in", "ds", "--out", "no/such/o.arrow"}, "cannot write no/such/o.arrow:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := llmflow(t, dir, tc.args...)
			if res.code != exitError || !strings.Contains(res.stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %q", res.code, res.stderr, tc.want)
			}
			if strings.Contains(res.stderr, ".tmp-") || strings.Contains(res.stderr, "llmflow-prep") {
				t.Fatalf("error names a temporary file: %s", res.stderr)
			}
		})
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestPrepCleanDropFraction: prep clean warns when it drops most documents
// and, with max_drop_fraction set, fails without writing its output.
func TestPrepCleanDropFraction(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := range 4 {
		fmt.Fprintf(&b, "{\"text\": \"A short line number %d.\"}\n", i)
	}
	b.WriteString(`{"text": "` + strings.Join(prepSentences, " ") + `"}` + "\n")
	if err := os.WriteFile(filepath.Join(dir, "in.jsonl"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "limit.hcl"), []byte("max_drop_fraction = 0.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const msg = "dropped 4 of 5 documents (80.0%), more than WHICHmax_drop_fraction 0.5; most by top_2_gram 4"
	for _, in := range []string{"in.jsonl", "ds"} {
		ext := ".jsonl"
		if in == "ds" {
			if _, err := artifact.Ingest(context.Background(), []string{filepath.Join(dir, "in.jsonl")}, filepath.Join(dir, "ds"), artifact.IngestOptions{}); err != nil {
				t.Fatal(err)
			}
			ext = ".arrow"
		}
		t.Run(in, func(t *testing.T) {
			res := llmflow(t, dir, "prep", "clean", "--in", in, "--out", "warn"+ext)
			if res.code != 0 || !strings.Contains(res.stderr, "Warning: clean "+strings.Replace(msg, "WHICH", "the default ", 1)) {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			res = llmflow(t, dir, "prep", "clean", "--in", in, "--out", "fail"+ext, "--config", "limit.hcl")
			if res.code != exitError || !strings.Contains(res.stderr, strings.Replace(msg, "WHICH", "", 1)) || strings.Contains(res.stderr, "Warning") {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "fail"+ext)); err == nil {
				t.Fatal("a failed run left its output behind")
			}
		})
	}
}
