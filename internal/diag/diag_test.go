package diag

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

func TestAppendAndErr(t *testing.T) {
	var d Diagnostics
	if d.Err() != nil {
		t.Fatal("empty diagnostics is an error")
	}
	rng := &hcl.Range{Filename: "p.hcl", Start: hcl.Pos{Line: 3, Column: 2}, End: hcl.Pos{Line: 3, Column: 5}}
	d = d.Append(nil, hcl.Diagnostics{{Severity: hcl.DiagWarning, Summary: "w"}})
	if d.Err() != nil {
		t.Fatal("warnings alone are an error")
	}
	d = d.Append(Errorf(rng, "Bad thing", "It is %s.", "bad"), fmt.Errorf("run: %w", context.Canceled), 42)
	err := d.Err()
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v does not unwrap to Canceled", err)
	}
	msg := err.Error()
	for _, want := range []string{"p.hcl:3,2-5: Bad thing: It is bad.", "run: context canceled", "bug in llmflow"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if got := AsDiagnostics(err); len(got) != 4 {
		t.Errorf("round trip gave %d diagnostics", len(got))
	}
	if got := AsDiagnostics(errors.New("x")); len(got) != 1 || got[0].Summary != "x" {
		t.Errorf("plain error: %v", got)
	}
}
