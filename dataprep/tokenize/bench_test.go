package tokenize

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/tokenizer"
)

// BenchmarkRun tokenizes the shared English and Chinese texts (one document
// per line, 4.2 MB) into packed 1024-token rows with a 1% validation split.
func BenchmarkRun(b *testing.B) {
	root := sharedData(b)
	var texts []string
	var size int64
	var docs [][]byte
	for _, rel := range []string{"pretrain-en/wiki_demo.txt", "pretrain-en/tinyshakespeare.txt", "pretrain-zh/xiyouji.txt"} {
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range bytes.Split(data, []byte("\n")) {
			texts = append(texts, string(line))
			docs = append(docs, line)
			size += int64(len(line))
		}
	}
	cfg := tokenizer.DefaultConfig()
	tok, err := tokenizer.Train(context.Background(), docs, cfg)
	if err != nil {
		b.Fatal(err)
	}
	ds := writeText(b, b.TempDir(), texts, 4096)
	b.SetBytes(size)
	b.ResetTimer()
	cpu0 := processCPU()
	var st Stats
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		tw, _ := artifact.NewDatasetWriter(filepath.Join(dir, "train"), Schema())
		vw, _ := artifact.NewDatasetWriter(filepath.Join(dir, "val"), Schema())
		b.StartTimer()
		st, err = Run(context.Background(), ds, tok, tw, vw, DefaultConfig(), nil)
		if err != nil {
			b.Fatal(err)
		}
		tw.Close()
		vw.Close()
	}
	cpu := processCPU() - cpu0
	sec := b.Elapsed().Seconds() / float64(b.N)
	if cpu > 0 {
		// All threads together: comparable across loads, unlike wall time
		// on a shared machine.
		b.ReportMetric(float64(size)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
	}
	b.ReportMetric(float64(size)/sec/1e6, "MB/s")
	b.ReportMetric(float64(st.Docs)/sec, "docs/s")
	b.ReportMetric(float64(st.Tokens)/sec, "tokens/s")
	m := st.Metrics()
	b.ReportMetric(m["bytes_per_token.en"], "bytes/token-en")
	b.ReportMetric(m["bytes_per_token.zh"], "bytes/token-zh")
	b.ReportMetric(m["vocab_use"], "vocab-use")
}

// processCPU returns the CPU time of the whole process (benchmark setup paused
// with StopTimer is included, so setup inside the loop must stay small).
func processCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
