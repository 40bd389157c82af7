package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCleanMaxDropFraction runs a clean node that drops every document of
// its input: unset, max_drop_fraction lets the run succeed with a warning;
// set, it fails the node with a message naming the rule.
func TestCleanMaxDropFraction(t *testing.T) {
	in := filepath.Join(t.TempDir(), "short.jsonl")
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, "{\"text\": \"A short line number %d.\"}\n", i)
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, attr, want string
		status           string
	}{
		{"unset warns", "", "log clean.c: warning: dropped 10 of 10 documents (100.0%), more than the default max_drop_fraction 0.5; most by top_2_gram 10", StatusSucceeded},
		{"set fails", "max_drop_fraction = 0.9", "failed clean.c: dropped 10 of 10 documents (100.0%), more than max_drop_fraction 0.9; most by top_2_gram 10", StatusFailed},
		{"set high enough", "max_drop_fraction = 1", "finished clean.c", StatusSucceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := fmt.Sprintf("dataset \"d\" {\n  path = %q\n}\nclean \"c\" {\n  input = dataset.d\n  %s\n}\n", in, c.attr)
			log, res, err := runPipeline(t, context.Background(), src, newStore(t))
			if c.status == StatusSucceeded && err != nil {
				t.Fatal(err)
			}
			if res == nil || res.Status != c.status || !log.has(c.want) {
				t.Fatalf("status %v, events %q, want %q", res, log.events, c.want)
			}
			if c.status == StatusSucceeded && c.attr != "" && log.has("log clean.c: warning") {
				t.Fatalf("warning although max_drop_fraction is set: %q", log.events)
			}
		})
	}
}
