package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// fragmentMark, on the line before a ```hcl fence, says the snippet is a
// piece of a pipeline (it refers to nodes or files it does not declare): it
// is only parsed. Every other snippet must pass `llmflow validate` as is.
const fragmentMark = "<!-- fragment -->"

type snippet struct {
	name     string // file:line of the fence
	src      string
	fragment bool
}

// hclSnippets returns the ```hcl blocks of a Markdown file.
func hclSnippets(t *testing.T, path string) []snippet {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	var out []snippet
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```hcl" {
			continue
		}
		sn := snippet{name: filepath.ToSlash(path) + ":" + strconv.Itoa(i+1)}
		sn.fragment = i > 0 && strings.TrimSpace(lines[i-1]) == fragmentMark
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		sn.src = strings.Join(body, "\n") + "\n"
		out = append(out, sn)
	}
	return out
}

// TestReadmeSnippets validates every HCL snippet of the READMEs with the
// real binary, so the documentation cannot drift from the language.
func TestReadmeSnippets(t *testing.T) {
	readmes, err := filepath.Glob(filepath.Join("..", "..", "examples", "*", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readmes = append([]string{filepath.Join("..", "..", "README.md")}, readmes...)
	total := 0
	for _, readme := range readmes {
		for _, sn := range hclSnippets(t, readme) {
			total++
			t.Run(strings.TrimPrefix(sn.name, "../../"), func(t *testing.T) {
				if sn.fragment {
					if _, diags := hclsyntax.ParseConfig([]byte(sn.src), sn.name, hcl.InitialPos); diags.HasErrors() {
						t.Fatalf("fragment does not parse: %s\n%s", diags.Error(), sn.src)
					}
					return
				}
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(sn.src), 0o644); err != nil {
					t.Fatal(err)
				}
				if res := llmflow(t, dir, "validate", "pipeline.hcl"); res.code != 0 {
					t.Fatalf("validate: exit %d\n%s%s\n%s", res.code, res.stdout, res.stderr, sn.src)
				}
			})
		}
	}
	if total == 0 {
		t.Fatal("no hcl snippets found")
	}
}

// TestReadmeTokenizeRows: the node table must say how packed rows are cut,
// overlap included (dataprep/tokenize's TestPackedRows holds the code to it),
// since a reader counting tokens per row otherwise counts the overlap twice.
func TestReadmeTokenizeRows(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "| `tokenize` |") {
			row = l
		}
	}
	for _, want := range []string{"`block_size+1` tokens", "overlap by one token", "last token of a row being the first of the next"} {
		if !strings.Contains(row, want) {
			t.Errorf("README's tokenize row does not say %q:\n%s", want, row)
		}
	}
}
