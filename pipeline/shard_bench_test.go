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
// 2 CPUs the speedup is bounded by 2; what the sharded run does serially
// (splitting, merging, hashing) is what keeps it below.
func BenchmarkShardedClean(b *testing.B) {
	docs := testenv.ReadJSONLText(b, testenv.SharedFile(b, "web-noisy/c4_demo.jsonl"))
	dir := b.TempDir()
	corpus := filepath.Join(dir, "web.jsonl")
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
	store := newStore(b)
	plan := func(shards int) *Plan {
		return testPipeline(b, fmt.Sprintf(`
dataset "web" {
  path = %q
}
clean "web" {
  input   = dataset.web
  shards  = %d
  workers = 1
}
output "data" { value = clean.web }
`, corpus, shards), store, true)
	}
	var whole, sharded, wholeCPU, shardedCPU time.Duration
	var digests [2]string
	for b.Loop() {
		for i, shards := range []int{1, 8} {
			log := &durationLog{took: map[string]time.Duration{}, cpu: map[string]time.Duration{}}
			e := &Engine{Store: store, Hook: log, NoCache: true}
			res, err := e.Run(context.Background(), plan(shards))
			if err != nil {
				b.Fatal(err)
			}
			if res.Err != nil {
				b.Fatal(res.Err)
			}
			digests[i] = res.Outputs["data"]
			if shards == 1 {
				whole += log.took["clean.web"]
				wholeCPU += log.cpu["clean.web"]
			} else {
				sharded += log.took["clean.web"]
				shardedCPU += log.cpu["clean.web"]
			}
		}
		if digests[0] != digests[1] {
			b.Fatalf("8 shards gave %s, one %s", digests[1], digests[0])
		}
	}
	iters := float64(b.N)
	b.ReportMetric(float64(n)*iters/whole.Seconds(), "docs/s-1shard")
	b.ReportMetric(float64(n)*iters/sharded.Seconds(), "docs/s-8shards")
	b.ReportMetric(whole.Seconds()/sharded.Seconds(), "speedup")
	// CPU time tells what sharding adds to the work, which the wall
	// figures on a shared machine hide.
	b.ReportMetric(wholeCPU.Seconds()/iters, "cpu-s-1shard")
	b.ReportMetric(shardedCPU.Seconds()/iters, "cpu-s-8shards")
}
