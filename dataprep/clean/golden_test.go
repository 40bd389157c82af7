package clean

import (
	"bufio"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenStats cleans testdata/fixture.jsonl with the defaults and
// compares the metrics and the per-document outcome with the golden file.
func TestGoldenStats(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "fixture.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cl, err := New(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		ID, Reason, Lang string
	}
	var got struct {
		Docs    []outcome
		Metrics map[string]float64
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct{ ID, Text string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		res := cl.Clean(rec.Text)
		got.Docs = append(got.Docs, outcome{rec.ID, res.Reason.String(), res.Lang.String()})
	}
	got.Metrics = cl.Stats().Metrics()
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	golden := filepath.Join("testdata", "golden_stats.json")
	if *update {
		if err := os.WriteFile(golden, out, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != string(out) {
		t.Fatalf("statistics differ from %s (rerun with -update after checking):\n%s", golden, out)
	}
}
