package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/mitchellh/go-wordwrap"

	"github.com/llmflow/llmflow/pipeline"
)

// printDiags renders each diagnostic as "file:line:column: severity: summary",
// the source line with the range underlined, and the detail. No colour, so
// output is the same in terminals, logs and golden files.
func printDiags(w io.Writer, cfg *pipeline.Config, diags hcl.Diagnostics) {
	var src []byte
	if cfg != nil {
		src = cfg.Source
	}
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		if d.Subject == nil {
			fmt.Fprintf(w, "%s: %s\n", sev, d.Summary)
		} else {
			s := d.Subject
			fmt.Fprintf(w, "%s:%d:%d: %s: %s\n", s.Filename, s.Start.Line, s.Start.Column, sev, d.Summary)
			if cfg != nil && s.Filename == cfg.Filename {
				writeSnippet(w, src, *s)
			}
		}
		if d.Detail != "" {
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(wordwrap.WrapString(d.Detail, 90), "\n", "\n  "))
		}
		fmt.Fprintln(w)
	}
}

// writeSnippet prints the first line of the range with carets under it.
func writeSnippet(w io.Writer, src []byte, rng hcl.Range) {
	lines := strings.Split(string(src), "\n")
	if rng.Start.Line < 1 || rng.Start.Line > len(lines) {
		return
	}
	line := strings.ReplaceAll(lines[rng.Start.Line-1], "\t", " ")
	width := utf8.RuneCountInString(line)
	start := min(max(rng.Start.Column-1, 0), width)
	end := width
	if rng.End.Line == rng.Start.Line {
		end = min(max(rng.End.Column-1, start+1), width)
	}
	gutter := fmt.Sprintf("%4d | ", rng.Start.Line)
	fmt.Fprintf(w, "%s%s\n", gutter, line)
	fmt.Fprintf(w, "%s%s%s\n", strings.Repeat(" ", len(gutter)-2)+"| ", strings.Repeat(" ", start), strings.Repeat("^", max(end-start, 1)))
}
