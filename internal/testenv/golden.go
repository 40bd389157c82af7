package testenv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// CheckGolden compares v, as indented JSON with a trailing newline, with
// testdata/name. With update set (a package's -update flag) it first
// rewrites the file.
func CheckGolden(tb testing.TB, name string, v any, update bool) {
	tb.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		tb.Errorf("%s differs (run with -update if the change is intended):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
