package artifact

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// benchDoc is a web-like document of about 1 KiB.
var benchDoc = strings.Repeat("The quick brown fox jumps over the lazy dog; ", 23)

func BenchmarkDatasetWrite(b *testing.B) {
	const rows = 100_000
	b.SetBytes(int64(rows * len(benchDoc)))
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		tw, err := NewTextWriter(dir, nil, WithShardRows(50_000))
		if err != nil {
			b.Fatal(err)
		}
		id := make([]byte, 0, 16)
		for r := 0; r < rows; r++ {
			id = fmt.Appendf(id[:0], "d%d", r)
			if err := tw.AppendBytes(id, []byte(benchDoc)); err != nil {
				b.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkDatasetScan(b *testing.B) {
	const rows = 100_000
	dir := b.TempDir()
	tw, _ := NewTextWriter(dir, nil, WithShardRows(50_000))
	for r := 0; r < rows; r++ {
		tw.Append(fmt.Sprintf("d%d", r), benchDoc)
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	d, err := OpenDataset(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(rows * len(benchDoc)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var n int64
		err := d.Scan(context.Background(), func(rec arrow.RecordBatch) error {
			n += rec.NumRows()
			return nil
		})
		if err != nil || n != rows {
			b.Fatal(n, err)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// benchIngest ingests one file b.N times and reports input MB/s and rows/s.
func benchIngest(b *testing.B, name string, data []byte, opt IngestOptions) {
	dir := b.TempDir()
	src := filepath.Join(dir, name)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	var rows int64
	for i := 0; i < b.N; i++ {
		dst := filepath.Join(dir, fmt.Sprint("out", i))
		st, err := Ingest(context.Background(), []string{src}, dst, opt)
		if err != nil {
			b.Fatal(err)
		}
		rows += st.Rows
		b.StopTimer()
		os.RemoveAll(dst)
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func jsonlBenchData(rows int) []byte {
	var buf bytes.Buffer
	for r := 0; r < rows; r++ {
		fmt.Fprintf(&buf, `{"id":"doc-%d","text":"%s \u00e9\n","url":"https://example.com/%d","score":%d.5,"meta":{"lang":"en"}}`+"\n", r, benchDoc, r, r%7)
	}
	return buf.Bytes()
}

func BenchmarkIngestJSONL(b *testing.B) {
	data := jsonlBenchData(50_000)
	b.Run("extra=auto", func(b *testing.B) { benchIngest(b, "in.jsonl", data, IngestOptions{}) })
	b.Run("extra=none", func(b *testing.B) { benchIngest(b, "in.jsonl", data, IngestOptions{Extra: "none"}) })
}

func BenchmarkIngestText(b *testing.B) {
	var buf bytes.Buffer
	for r := 0; r < 50_000; r++ {
		buf.WriteString(benchDoc)
		buf.WriteString("\n")
		if r%5 == 4 {
			buf.WriteString("\n")
		}
	}
	b.Run("line", func(b *testing.B) { benchIngest(b, "in.txt", buf.Bytes(), IngestOptions{}) })
	b.Run("paragraph", func(b *testing.B) { benchIngest(b, "in.txt", buf.Bytes(), IngestOptions{TextMode: "paragraph"}) })
}

func BenchmarkIngestSharedGSM8K(b *testing.B) {
	src := sharedData(b, "sft/gsm8k_train.jsonl")
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	benchIngest(b, "gsm8k_train.jsonl", data, IngestOptions{TextField: "question"})
}

func BenchmarkJSONLScanner(b *testing.B) {
	line := jsonlBenchData(1)
	line = line[:len(line)-1]
	b.SetBytes(int64(len(line)))
	var sc objScanner
	for i := 0; i < b.N; i++ {
		if err := sc.parse(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCommit(b *testing.B) {
	s, _ := OpenStore(b.TempDir())
	src := b.TempDir()
	writeTextDataset(b, src, 100_000, 50_000)
	var size int64
	ents, _ := os.ReadDir(src)
	for _, e := range ents {
		fi, _ := e.Info()
		size += fi.Size()
	}
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.ImportDir(KindText, src); err != nil {
			b.Fatal(err)
		}
	}
}
