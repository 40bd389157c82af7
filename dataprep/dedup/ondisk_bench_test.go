package dedup

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/llmflow/llmflow/artifact"
)

// syntheticDoc returns document i of a corpus where a tenth of documents
// copy an earlier one and three tenths copy one with up to eight words
// replaced; every document is derived from its index, so a corpus of any
// size streams without holding texts.
func syntheticDoc(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 11))
	switch k := i % 10; {
	case i > 0 && k == 0:
		return syntheticDoc(r.IntN(i))
	case i > 0 && k <= 3:
		w := strings.Fields(syntheticDoc(r.IntN(i)))
		for range 1 + r.IntN(8) {
			w[r.IntN(len(w))] = fmt.Sprintf("x%d", r.IntN(50))
		}
		return strings.Join(w, " ")
	}
	return randomDoc(r)
}

func writeSynthetic(b *testing.B, dir string, n int) *artifact.Dataset {
	w, err := artifact.NewDatasetWriter(dir, artifact.TextSchema())
	if err != nil {
		b.Fatal(err)
	}
	tb, err := artifact.NewTextBuilder(artifact.TextSchema())
	if err != nil {
		b.Fatal(err)
	}
	defer tb.Release()
	for i := range n {
		tb.Append(fmt.Sprint(i), syntheticDoc(i))
		if tb.Len() == artifact.DefaultBatchRows || i == n-1 {
			rec := tb.NewRecordBatch()
			err := w.Write(rec)
			rec.Release()
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		b.Fatal(err)
	}
	return ds
}

// BenchmarkRunOnDisk deduplicates a synthetic corpus of 1,000,000
// documents (100,000 with -short) with the index on disk and 64 MB of
// sort buffers, and reports the process's peak resident memory, which
// the corpus, streamed to disk first, hardly adds to.
func BenchmarkRunOnDisk(b *testing.B) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	dir := b.TempDir()
	in := writeSynthetic(b, filepath.Join(dir, "in"), n)
	var st Stats
	for k := 0; b.Loop(); k++ {
		out, err := artifact.NewDatasetWriter(filepath.Join(dir, fmt.Sprint("out", k)), in.Schema())
		if err != nil {
			b.Fatal(err)
		}
		if st, err = RunOnDisk(context.Background(), in, out, DefaultConfig(), nil, filepath.Join(dir, "scratch"), 64<<20); err != nil {
			b.Fatal(err)
		}
		if err := out.Close(); err != nil {
			b.Fatal(err)
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "docs/s")
	b.ReportMetric(float64(st.Removed), "removed")
}
