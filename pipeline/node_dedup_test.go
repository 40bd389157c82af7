package pipeline

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dupJSONL writes n documents of random words, a tenth of them copies of
// an earlier one and a fifth copies with a few words replaced. (Templated
// documents would put the whole corpus in one bucket: the index on disk
// pairs every two members of a bucket.)
func dupJSONL(t *testing.T, n int) string {
	r := rand.New(rand.NewPCG(3, 4))
	docs := make([][]string, 0, n)
	var b strings.Builder
	for i := range n {
		var w []string
		switch k := i % 10; {
		case i > 0 && k == 0:
			w = docs[r.IntN(i)]
		case i > 0 && k <= 2:
			w = append([]string(nil), docs[r.IntN(i)]...)
			w[r.IntN(len(w))] = fmt.Sprintf("x%d", r.IntN(50))
		default:
			for range 40 {
				w = append(w, fmt.Sprintf("w%d", r.IntN(2000)))
			}
		}
		docs = append(docs, w)
		fmt.Fprintf(&b, "{\"text\": %q}\n", strings.Join(w, " "))
	}
	path := filepath.Join(t.TempDir(), "dups.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDedupIndexOnDisk: the index on disk gives the in-memory outputs and
// counters, with and without a contamination reference, and the same key.
func TestDedupIndexOnDisk(t *testing.T) {
	corpus := dupJSONL(t, 8000)
	src := func(index string) string {
		return fmt.Sprintf(`
dataset "d" {
  path = %q
}
dataset "ref" {
  path = %q
}
dedup "all" {
  input = dataset.d
  index = %q
}
dedup "clean" {
  input   = dataset.d
  against = dataset.ref
  index   = %[3]q
}
output "all" { value = dedup.all }
output "clean" { value = dedup.clean }
`, corpus, corpus, index)
	}
	var outputs [2]map[string]string
	var metrics [2]map[string]float64
	var keys [2]string
	for k, index := range []string{"memory", "disk"} {
		store := newStore(t)
		log := &metricLog{metrics: map[string]float64{}}
		p := testPipeline(t, src(index), store, false)
		keys[k] = p.Nodes[len(p.Nodes)-1].Key
		res, err := (&Engine{Store: store, Hook: log, Parallelism: 2}).Run(context.Background(), p)
		if err != nil {
			t.Fatalf("%s: %v\n%q", index, err, log.events)
		}
		outputs[k], metrics[k] = res.Outputs, log.metrics
	}
	if fmt.Sprint(outputs[0]) != fmt.Sprint(outputs[1]) || len(outputs[0]) != 2 {
		t.Errorf("outputs in memory %v, on disk %v", outputs[0], outputs[1])
	}
	if fmt.Sprint(metrics[0]) != fmt.Sprint(metrics[1]) || metrics[0]["dedup.all removed"] == 0 || metrics[0]["dedup.clean removed"] != 8000 {
		t.Errorf("metrics in memory %v\non disk %v", metrics[0], metrics[1])
	}
	if keys[0] != keys[1] {
		t.Errorf("the index changes the cache key")
	}
}
