package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

var errorComment = regexp.MustCompile(`#\s*ERROR:\s*(.+?)\s*$`)

// loadAndBind runs the static and evaluation checks the validate command
// runs; binding only happens on a statically clean file, as in the CLI.
func loadAndBind(path string) hcl.Diagnostics {
	cfg, diags := LoadFile(path)
	if diags.HasErrors() {
		return diags
	}
	_, d := cfg.Bind(nil)
	return append(diags, d...)
}

func TestValidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/valid/*.hcl")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			for _, d := range loadAndBind(f) {
				t.Errorf("unexpected diagnostic: %s", d)
			}
		})
	}
}

// TestInvalidFixtures checks that each "# ERROR: <summary>" comment matches
// exactly one error diagnostic on its line, and that no other errors occur.
func TestInvalidFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/invalid/*.hcl")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := expectedErrors(t, f)
			var got []string
			for _, d := range loadAndBind(f) {
				if d.Severity != hcl.DiagError {
					continue
				}
				line := 0
				if d.Subject != nil {
					line = d.Subject.Start.Line
				}
				got = append(got, fmt.Sprintf("%d: %s", line, d.Summary))
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("diagnostics differ\ngot:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func expectedErrors(t *testing.T, path string) []string {
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i, line := range strings.Split(string(src), "\n") {
		if m := errorComment.FindStringSubmatch(line); m != nil {
			want = append(want, fmt.Sprintf("%d: %s", i+1, m[1]))
		}
	}
	sort.Strings(want)
	return want
}
