package slurm

import (
	"testing"
	"time"
)

func TestParseTimeLeft(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"5:00":       5 * time.Minute,
		"0:07":       7 * time.Second,
		"2:03:04":    2*time.Hour + 3*time.Minute + 4*time.Second,
		"2-03:00:00": 51 * time.Hour,
		"1-00:00":    24 * time.Hour,
	} {
		if got, ok := parseTimeLeft(in); !ok || got != want {
			t.Errorf("parseTimeLeft(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if d, ok := parseTimeLeft("UNLIMITED"); !ok || d < 100*365*24*time.Hour {
		t.Errorf("UNLIMITED = %v, %v", d, ok)
	}
	for _, in := range []string{"", "NOT_SET", "INVALID", "5", "1:2:3:4", "-1:00", "x-1:00", "1:-5"} {
		if d, ok := parseTimeLeft(in); ok {
			t.Errorf("parseTimeLeft(%q) = %v, want not known", in, d)
		}
	}
}
