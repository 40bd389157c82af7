package clean

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/llmflow/llmflow/dataprep/stream"
	"github.com/llmflow/llmflow/internal/testenv"
)

// allocPerByte returns the bytes fn allocates per byte of an n-byte input.
func allocPerByte(n int, fn func()) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
}

// TestCleanMemoryPerByte cleans each shared corpus as one document, alone
// and as one JSONL line through RunJSONL (the path of llmflow prep clean),
// and bounds the bytes a fresh Cleaner allocates per input byte, buffers
// included: memory per document must stay a small multiple of its size.
// The repetition rules keep a few words of state per word of the document,
// so Chinese, where each 3-byte character is a word, gets a higher bound
// than English (about 6 bytes a word). The document-length rule is off so
// that the kept path, language column included, is measured too.
func TestCleanMemoryPerByte(t *testing.T) {
	for _, c := range []struct {
		name, path       string
		maxDoc, maxJSONL float64
	}{
		{"wiki", "pretrain-en/wiki_demo.txt", 10, 13},
		{"xiyouji", "pretrain-zh/xiyouji.txt", 16, 21},
	} {
		b, err := os.ReadFile(filepath.Join(testenv.SharedData(t), c.path))
		if err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.MaxWords = 0
		t.Run(c.name, func(t *testing.T) {
			doc := string(b)
			cl, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var res Result
			perByte := allocPerByte(len(doc), func() { res = cl.Clean(doc) })
			t.Logf("Clean: %d bytes, %s, %.2f bytes allocated per input byte", len(doc), res.Reason, perByte)
			if perByte > c.maxDoc {
				t.Errorf("Clean: %.2f bytes allocated per input byte, want at most %g", perByte, c.maxDoc)
			}
		})
		t.Run(c.name+"/jsonl", func(t *testing.T) {
			text, _ := json.Marshal(string(b))
			line := append(append([]byte(`{"id":"doc","text":`), text...), "}\n"...)
			opt := stream.JSONLOptions{Options: stream.Options{Workers: 1, Extra: []string{cfg.LanguageColumn}}}
			var ms []*Mapper
			perByte := allocPerByte(len(line), func() {
				ms, err = stream.RunJSONL(context.Background(), bytes.NewReader(line), io.Discard, opt, func(int) *Mapper {
					m, _ := NewMapper(cfg)
					return m
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("RunJSONL: %d bytes, %d kept, %.2f bytes allocated per input byte", len(line), ms[0].C.Stats().DocsKept, perByte)
			if perByte > c.maxJSONL {
				t.Errorf("RunJSONL: %.2f bytes allocated per input byte, want at most %g", perByte, c.maxJSONL)
			}
		})
	}
}
