package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// emptySrc is a pipeline over 12 short documents: %s holds its last nodes.
const emptySrc = `
dataset "d" { path = "docs.jsonl" }
clean "c" {
  input     = dataset.d
  min_words = %d
}
tokenizer "b" {
  input      = dataset.d
  vocab_size = 300
}
tokenize "t" {
  input        = %s
  tokenizer    = tokenizer.b
  block_size   = 16
  val_fraction = %s
}
%s
`

// TestEmptyRequiredInput runs stages on data that an upstream node
// emptied: a required input, or an optional one marked NonEmpty, fails the
// stage with the lineage of the empty artifact; another optional one is
// passed on.
func TestEmptyRequiredInput(t *testing.T) {
	var docs strings.Builder
	for i := range 12 {
		fmt.Fprintf(&docs, `{"id":"%d","text":"document number %d says hello to the small world again"}`+"\n", i, i)
	}
	for _, tc := range []struct {
		name                string
		minWords            int
		tokenizeIn, valFrac string
		stage               string
		wantErr             string // "" means the stage must succeed
	}{
		{"val_fraction zero", 1, "dataset.d", "0",
			`stage "score" "s" { data = tokenize.t.val }`,
			`stage.s: input "data" (tokenize.t.val) is empty: tokenize.t wrote 0 rows — val_fraction = 0?`},
		{"clean dropped everything", 1000, "clean.c", "0.5",
			`stage "score" "s" { data = tokenize.t.train }`,
			`stage.s: input "data" (tokenize.t.train) is empty: tokenize.t wrote 0 rows from the empty clean.c.data; clean.c dropped all 12 rows of dataset.d.data`},
		{"filter output read directly", 1000, "dataset.d", "0",
			`stage "score" "s" { data = clean.c }`,
			`stage.s: input "data" (clean.c.data) is empty: clean.c dropped all 12 rows of dataset.d.data`},
		{"optional input empty", 1, "dataset.d", "0",
			`stage "score" "s" {
  data  = tokenize.t.train
  extra = tokenize.t.val
}`, ""},
		{"optional input that must not be empty", 1, "dataset.d", "0",
			`stage "score" "s" {
  data    = tokenize.t.train
  checked = tokenize.t.val
}`, `stage.s: input "checked" (tokenize.t.val) is empty: tokenize.t wrote 0 rows — val_fraction = 0?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "docs.jsonl"), []byte(docs.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			src := fmt.Sprintf(emptySrc, tc.minWords, tc.tokenizeIn, tc.valFrac, tc.stage)
			cfg, diags := Load(filepath.Join(dir, "p.hcl"), []byte(src))
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			b, diags := cfg.Bind(nil)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			store, runner := newStore(t), &fakeRunner{}
			p, diags := (&Planner{Store: store, Runner: runner}).Plan(context.Background(), b)
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			log := &eventLog{}
			_, err := (&Engine{Store: store, Runner: runner, Hook: log}).Run(context.Background(), p)
			if tc.wantErr == "" {
				if err != nil || !log.has("finished stage.s") {
					t.Fatalf("run: %v\n%s", err, strings.Join(log.events, "\n"))
				}
				return
			}
			if !log.has("failed stage.s: " + tc.wantErr) {
				t.Errorf("want failure %q, got events:\n%s", tc.wantErr, strings.Join(log.events, "\n"))
			}
		})
	}
}
