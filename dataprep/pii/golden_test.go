package pii

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// checkGolden compares v, as indented JSON, with testdata/name.
func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run with -update if the change is intended):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestGoldenStats pins what the scanner finds in the shared corpora (real
// web text holds real phone numbers and e-mail addresses).
func TestGoldenStats(t *testing.T) {
	p, _ := New(DefaultConfig())
	data := sharedData(t)
	corpora := map[string][]string{
		"c4":      readJSONLText(t, filepath.Join(data, "web-noisy", "c4_demo.jsonl")),
		"xiyouji": chunkLines(t, filepath.Join(data, "pretrain-zh", "xiyouji.txt"), 1000),
	}
	for _, name := range []string{"c4", "xiyouji"} {
		var st Stats
		for _, tx := range corpora[name] {
			_, c := p.Scrub(tx)
			st.add(len(tx), c)
		}
		checkGolden(t, "stats_"+name+".json", st.Metrics())
	}
}
