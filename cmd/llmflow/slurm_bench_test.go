package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/llmflow/llmflow/cmd/llmflow/views"
	"github.com/llmflow/llmflow/internal/testenv"
	"github.com/llmflow/llmflow/pipeline"
)

// finishedIn matches the plain view's line for a finished node, which
// may end in a summary of its metrics.
var finishedIn = regexp.MustCompile(`(?m)^(\S+): finished in ([^\s:]+)(?::.*)?$`)

// nodeDurations maps each node that ran to the duration the run reported.
func nodeDurations(b testing.TB, out string) map[string]time.Duration {
	m := map[string]time.Duration{}
	for _, f := range finishedIn.FindAllStringSubmatch(out, -1) {
		d, err := time.ParseDuration(f[2])
		if err != nil {
			b.Fatal(err)
		}
		m[f[1]] = d
	}
	return m
}

// BenchmarkSlurmNodeOverhead measures what running a node as a Slurm job
// adds to the node's own time: a chain of four dataprep nodes runs in the
// host and on the cluster, and the difference of each node's duration is
// averaged. The scheduler's submit-to-start latency is part of it.
func BenchmarkSlurmNodeOverhead(b *testing.B) {
	c := testenv.SlurmCluster(b)
	dir := b.TempDir()
	src, err := os.ReadFile(testenv.SharedFile(b, "web-noisy/c4_demo.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "web.jsonl"), src, 0o644)
	os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(`
dataset "web" {
  path = "web.jsonl"
}
clean "web" {
  input = dataset.web
}
pii "web" {
  input = clean.web
}
dedup "web" {
  input = pii.web
}
`), 0o644)
	var total time.Duration
	nodes := 0
	for b.Loop() {
		local := slurmRun(b, c, dir, "run", "--no-cache", "pipeline.hcl")
		remote := slurmRun(b, c, dir, "run", "--no-cache", "--executor", "slurm", "pipeline.hcl")
		if local.code != 0 || remote.code != 0 {
			b.Fatalf("%s%s", remote.stdout, remote.stderr)
		}
		ld, rd := nodeDurations(b, local.stdout), nodeDurations(b, remote.stdout)
		for node, d := range rd {
			total += d - ld[node]
			nodes++
		}
	}
	b.ReportMetric(total.Seconds()/float64(nodes), "s-overhead/node")
}

// BenchmarkSlurmShardedClean measures clean's throughput on the cluster
// whole (one job, one CPU) and in 8 shards (a job array; the 2-CPU node
// runs two tasks at once), including every scheduling delay.
func BenchmarkSlurmShardedClean(b *testing.B) {
	c := testenv.SlurmCluster(b)
	dir := b.TempDir()
	docs := testenv.ReadJSONLText(b, testenv.SharedFile(b, "web-noisy/c4_demo.jsonl"))
	f, err := os.Create(filepath.Join(dir, "web.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	const copies = 200 // 60,000 documents, 150 MB
	for i := range copies {
		for j, d := range docs {
			fmt.Fprintf(f, "{\"text\": %q}\n", fmt.Sprintf("Copy %d of document %d. %s", i, j, d))
		}
	}
	f.Close()
	n := copies * len(docs)
	pipeline := func(shards int) {
		os.WriteFile(filepath.Join(dir, "pipeline.hcl"), []byte(fmt.Sprintf(`
executor "one_cpu" {
  default       = true
  cpus_per_task = 1
}
dataset "web" {
  path = "web.jsonl"
}
clean "web" {
  input  = dataset.web
  shards = %d
}
`, shards)), 0o644)
	}
	var whole, sharded time.Duration
	for b.Loop() {
		for _, shards := range []int{1, 8} {
			pipeline(shards)
			r := slurmRun(b, c, dir, "run", "--no-cache", "pipeline.hcl")
			if r.code != 0 {
				b.Fatalf("%s%s", r.stdout, r.stderr)
			}
			d := nodeDurations(b, r.stdout)["clean.web"]
			if shards == 1 {
				whole += d
			} else {
				sharded += d
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/whole.Seconds(), "docs/s-1shard")
	b.ReportMetric(float64(n)*float64(b.N)/sharded.Seconds(), "docs/s-8shards")
	b.ReportMetric(whole.Seconds()/sharded.Seconds(), "speedup")
}

// TestNodeDurationsReadsPlainView checks that the benchmarks read node
// times from the lines the plain view prints, with and without a summary.
func TestNodeDurationsReadsPlainView(t *testing.T) {
	var buf bytes.Buffer
	v := views.NewPlain(&buf)
	v.NodeMetric("clean.web", "docs_kept", 0, 1200)
	v.NodeFinished(pipeline.NodeResult{Addr: "clean.web", Duration: 1234 * time.Millisecond})
	v.NodeFinished(pipeline.NodeResult{Addr: "dataset.web", Duration: 2 * time.Minute})
	got := nodeDurations(t, buf.String())
	want := map[string]time.Duration{"clean.web": 1234 * time.Millisecond, "dataset.web": 2 * time.Minute}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("read %v from\n%s", got, buf.String())
	}
}
