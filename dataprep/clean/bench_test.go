package clean

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/stream"
	"github.com/llmflow/llmflow/internal/testenv"
)

// BenchmarkClean measures the full text path (normalisation and every rule
// group at the defaults) on the shared corpora with 1 and 2 workers, each
// worker owning a Cleaner and a contiguous share of the documents. Besides
// the averages it reports MB/cpu-s (bytes per CPU second of the process) and
// the fastest pass, both steadier than wall-clock averages on a shared
// machine. Run with -benchtime=10x or more.
func BenchmarkClean(b *testing.B) {
	for _, c := range corpora {
		docs := loadDocs(b, c.path)
		var size int64
		for _, d := range docs {
			size += int64(len(d))
		}
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", c.name, workers), func(b *testing.B) {
				cleaners := make([]*Cleaner, workers)
				for i := range cleaners {
					cl, err := New(DefaultConfig())
					if err != nil {
						b.Fatal(err)
					}
					cleaners[i] = cl
				}
				b.SetBytes(size)
				b.ResetTimer()
				cpu0 := testenv.CPUTime()
				best := time.Duration(1 << 62)
				for range b.N {
					t0 := time.Now()
					var wg sync.WaitGroup
					for w := range workers {
						wg.Add(1)
						go func(cl *Cleaner, part []string) {
							defer wg.Done()
							for _, d := range part {
								cl.Clean(d)
							}
						}(cleaners[w], docs[w*len(docs)/workers:(w+1)*len(docs)/workers])
					}
					wg.Wait()
					best = min(best, time.Since(t0))
				}
				cpu := testenv.CPUTime() - cpu0
				b.ReportMetric(float64(len(docs))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
				// The machine is shared: MB/cpu-s divides by the CPU time this
				// process used, which contention inflates far less than wall time.
				b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
				// The fastest pass over the corpus estimates an idle machine.
				b.ReportMetric(float64(size)/1e6/best.Seconds(), "MB/s-best")
				b.ReportMetric(float64(len(docs))/best.Seconds(), "docs/s-best")
			})
		}
	}
}

// BenchmarkRun measures the dataset path (Arrow read, parallel clean,
// ordered Arrow write) on the web corpus repeated 8 times.
func BenchmarkRun(b *testing.B) {
	docs := loadDocs(b, "web-noisy/c4_demo.jsonl")
	var all []string
	for range 8 {
		all = append(all, docs...)
	}
	var size int64
	for _, d := range all {
		size += int64(len(d))
	}
	tmp := b.TempDir()
	in := writeDatasetTB(b, filepath.Join(tmp, "in"), all)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Workers = workers
			b.SetBytes(size)
			cpu0 := testenv.CPUTime()
			for range b.N {
				dir, err := os.MkdirTemp(tmp, "out-*")
				if err != nil {
					b.Fatal(err)
				}
				out, err := artifact.NewDatasetWriter(dir, OutputSchema(in.Schema(), cfg))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Run(context.Background(), in, out, cfg, nil); err != nil {
					b.Fatal(err)
				}
				if err := out.Close(); err != nil {
					b.Fatal(err)
				}
			}
			cpu := testenv.CPUTime() - cpu0
			b.ReportMetric(float64(len(all))*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
			b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
		})
	}
}

// BenchmarkJSONL measures the JSONL path of `llmflow prep clean` (line
// scanning, string decoding, cleaning, re-encoding) on the web corpus
// repeated 8 times.
func BenchmarkJSONL(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join(testenv.SharedData(b), "web-noisy", "c4_demo.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	in := bytes.Repeat(raw, 8)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cfg := DefaultConfig()
			b.SetBytes(int64(len(in)))
			cpu0 := testenv.CPUTime()
			for range b.N {
				opt := stream.JSONLOptions{Options: stream.Options{Workers: workers, Extra: []string{"language"}}}
				_, err := stream.RunJSONL(context.Background(), bytes.NewReader(in), io.Discard, opt, func(int) *Mapper {
					m, _ := NewMapper(cfg)
					return m
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			cpu := testenv.CPUTime() - cpu0
			b.ReportMetric(float64(len(in))*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
		})
	}
}
