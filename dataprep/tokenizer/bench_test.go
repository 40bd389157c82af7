package tokenizer

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU returns the CPU time the calling OS thread has used. Benchmarks
// lock their goroutine to a thread and report MB per CPU-second next to the
// wall-clock figure, which other processes on a shared machine distort.
func threadCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var (
	benchOnce sync.Once
	benchTok  *Tokenizer
)

// benchTokenizer is an 8,192-id tokenizer trained on the shared English and
// Chinese texts.
func benchTokenizer(b *testing.B) *Tokenizer {
	benchOnce.Do(func() { benchTok = sharedTokenizer(b, 8192) })
	if benchTok == nil {
		b.Skip("no tokenizer")
	}
	return benchTok
}

func benchEncode(b *testing.B, texts [][]byte) {
	tok := benchTokenizer(b)
	var n int
	for _, t := range texts {
		n += len(t)
	}
	run := func(b *testing.B, warm bool) {
		e := tok.NewEncoder()
		ids := make([]int32, 0, n)
		b.SetBytes(int64(n))
		b.ReportAllocs()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		b.ResetTimer()
		cpu0 := threadCPU()
		for i := 0; i < b.N; i++ {
			if !warm {
				e = tok.NewEncoder()
			}
			ids = ids[:0]
			for _, t := range texts {
				ids = e.Encode(ids, t)
			}
		}
		cpu := threadCPU() - cpu0
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "MB/s")
		if cpu > 0 {
			b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds()/1e6, "MB/cpu-s")
		}
		b.ReportMetric(float64(len(ids))*float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	}
	// cold: a fresh encoder (empty cache) per pass over the corpus; warm: one
	// encoder kept across passes, as a long-running worker does.
	b.Run("cold", func(b *testing.B) { run(b, false) })
	b.Run("warm", func(b *testing.B) { run(b, true) })
}

// BenchmarkEncodeEnglish encodes ../shared/data/pretrain-en (2.1 MB) on one
// goroutine.
func BenchmarkEncodeEnglish(b *testing.B) {
	benchEncode(b, [][]byte{readShared(b, "pretrain-en/wiki_demo.txt"), readShared(b, "pretrain-en/tinyshakespeare.txt")})
}

// BenchmarkEncodeChinese encodes ../shared/data/pretrain-zh/xiyouji.txt (2.2 MB).
func BenchmarkEncodeChinese(b *testing.B) {
	benchEncode(b, [][]byte{readShared(b, "pretrain-zh/xiyouji.txt")})
}

// trainCorpus returns the first 10 MiB of the shared data files in a fixed
// order, one document per line.
func trainCorpus(tb testing.TB, size int) [][]byte {
	var all []byte
	for _, rel := range []string{
		"pretrain-en/wiki_demo.txt", "pretrain-en/tinyshakespeare.txt", "pretrain-zh/xiyouji.txt",
		"web-noisy/c4_demo.jsonl", "sft/oasst1_zh_sft.jsonl", "sft/gsm8k_train.jsonl",
		"preference/oasst1_zh_rm.jsonl", "preference/hh_rlhf_harmless_base_test.jsonl",
	} {
		all = append(all, readShared(tb, filepath.FromSlash(rel))...)
		if len(all) >= size {
			break
		}
	}
	if len(all) < size {
		tb.Fatalf("shared data holds %d bytes, want %d", len(all), size)
	}
	return bytes.SplitAfter(all[:size], []byte("\n"))
}

// BenchmarkTrain8k trains an 8,192-id vocabulary on 10 MiB of text; run with
// -cpu 2 for the two-core figure.
func BenchmarkTrain8k(b *testing.B) {
	docs := trainCorpus(b, 10<<20)
	cfg := DefaultConfig()
	cfg.VocabSize = 8192
	b.SetBytes(10 << 20)
	b.ResetTimer()
	var ru0 unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru0)
	for i := 0; i < b.N; i++ {
		tok, err := Train(context.Background(), docs, cfg)
		if err != nil {
			b.Fatal(err)
		}
		if tok.VocabSize() != 8192 {
			b.Fatalf("vocab %d", tok.VocabSize())
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/train")
	var ru1 unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru1) == nil {
		cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
		b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/train")
	}
}
