package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/testenv"
)

// durationLog records how long each node ran, and the CPU time the
// process spent meanwhile (the nodes of the benchmark run one at a time).
type durationLog struct {
	NopHook
	mu   sync.Mutex
	cpu0 time.Duration
	took map[string]time.Duration
	cpu  map[string]time.Duration
}

func (d *durationLog) NodeStarted(NodeResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cpu0 = testenv.CPUTime()
}

func (d *durationLog) NodeFinished(r NodeResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.took[r.Addr] = r.Duration
	d.cpu[r.Addr] = testenv.CPUTime() - d.cpu0
}

// BenchmarkShardedClean measures clean in the host on 91 MB of C4
// documents whole with one worker and in 8 shards of one worker each, run
// alternately so that other load on the machine falls on both alike. On
// 2 CPUs the speedup is bounded by 2, and below that by what one worker
// leaves to the other CPU (reading, writing, hashing, the commit's
// fsync): a whole run with two workers, reported as the reference,
// measures that bound without any sharding.
func BenchmarkShardedClean(b *testing.B) {
	docs := testenv.ReadJSONLText(b, testenv.SharedFile(b, "web-noisy/c4_demo.jsonl"))
	tmp := b.TempDir()
	corpus := filepath.Join(tmp, "web.jsonl")
	var sb strings.Builder
	const copies = 120 // 36,000 documents, 91 MB
	for i := range copies {
		for j, d := range docs {
			fmt.Fprintf(&sb, "{\"text\": %q}\n", fmt.Sprintf("Copy %d of document %d. %s", i, j, d))
		}
	}
	if err := os.WriteFile(corpus, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	n := copies * len(docs)
	plan := func(store *artifact.Store, shards, workers int) *Plan {
		return testPipeline(b, fmt.Sprintf(`
dataset "web" {
  path = %q
}
clean "web" {
  input   = dataset.web
  shards  = %d
  workers = %d
}
output "data" { value = clean.web }
`, corpus, shards, workers), store, false)
	}
	runs := []struct{ shards, workers int }{{1, 1}, {8, 1}, {1, 2}}
	took := make([]time.Duration, len(runs))
	cpu := make([]time.Duration, len(runs))
	for b.Loop() {
		var want string
		for i, r := range runs {
			// A store of its own, as a first run has: in a shared one, every
			// run after the first would find its output already there and
			// spend its commit deleting its copy.
			dir := filepath.Join(tmp, "store")
			store, err := artifact.OpenStore(dir)
			if err != nil {
				b.Fatal(err)
			}
			log := &durationLog{took: map[string]time.Duration{}, cpu: map[string]time.Duration{}}
			e := &Engine{Store: store, Hook: log}
			res, err := e.Run(context.Background(), plan(store, r.shards, r.workers))
			if err != nil {
				b.Fatal(err)
			}
			if res.Err != nil {
				b.Fatal(res.Err)
			}
			if i == 0 {
				want = res.Outputs["data"]
			} else if res.Outputs["data"] != want {
				b.Fatalf("%d shards of %d workers gave %s, one shard %s", r.shards, r.workers, res.Outputs["data"], want)
			}
			took[i] += log.took["clean.web"]
			cpu[i] += log.cpu["clean.web"]
			if err := os.RemoveAll(dir); err != nil {
				b.Fatal(err)
			}
		}
	}
	iters := float64(b.N)
	b.ReportMetric(float64(n)*iters/took[0].Seconds(), "docs/s-1shard")
	b.ReportMetric(float64(n)*iters/took[1].Seconds(), "docs/s-8shards")
	b.ReportMetric(took[0].Seconds()/took[1].Seconds(), "speedup")
	b.ReportMetric(took[0].Seconds()/took[2].Seconds(), "speedup-2workers")
	// CPU time tells what sharding adds to the work, which the wall
	// figures on a shared machine hide.
	b.ReportMetric(cpu[0].Seconds()/iters, "cpu-s-1shard")
	b.ReportMetric(cpu[1].Seconds()/iters, "cpu-s-8shards")
}
