package pipeline

import (
	"strings"
	"testing"
)

func TestChangeString(t *testing.T) {
	d1, d2 := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	for _, c := range []struct {
		change Change
		want   string
	}{
		{Change{Field: "config", Name: "vocab_size", Old: "2048", New: "1536"}, "~ vocab_size = 2048 -> 1536"},
		{Change{Field: "config", Name: "min_lr", New: "0.0001"}, "+ min_lr = 0.0001"},
		{Change{Field: "config", Name: "warmup_steps", Old: "20"}, "- warmup_steps = 20"},
		{Change{Field: "input", Name: "data", Old: d1, New: d2}, "~ data = sha256:aaaaaaaaaaaa… -> sha256:bbbbbbbbbbbb…"},
		{Change{Field: "upstream", Name: "model", Old: d1, New: "stage.tiny"}, "~ model = sha256:aaaaaaaaaaaa… -> (known after stage.tiny runs)"},
		{Change{Field: "upstream", Name: "model", New: "stage.tiny"}, "~ model = (known after stage.tiny runs)"},
	} {
		if got := strings.TrimSpace(c.change.String()); got != c.want {
			t.Errorf("%+v: %q, want %q", c.change, got, c.want)
		}
	}
}

func TestInputName(t *testing.T) {
	if got := inputName("file:0:web.jsonl"); got != "file web.jsonl" {
		t.Errorf("source file input shown as %q", got)
	}
	if got := inputName("data"); got != "data" {
		t.Errorf("input shown as %q", got)
	}
}
