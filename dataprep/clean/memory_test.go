package clean

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

// TestCleanMemoryPerByte cleans each shared corpus as one document and
// bounds the bytes a fresh Cleaner allocates per input byte, buffers
// included: memory per document must stay a small multiple of its size.
// The repetition rules keep a few words of state per word of the document,
// so Chinese, where each 3-byte character is a word, gets a higher bound
// than English (about 6 bytes a word).
func TestCleanMemoryPerByte(t *testing.T) {
	for _, c := range []struct {
		name, path string
		maxPerByte float64
	}{
		{"wiki", "pretrain-en/wiki_demo.txt", 9},
		{"xiyouji", "pretrain-zh/xiyouji.txt", 15},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(testenv.SharedData(t), c.path))
			if err != nil {
				t.Fatal(err)
			}
			doc := string(b)
			cl, err := New(DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			res := cl.Clean(doc)
			runtime.ReadMemStats(&after)
			perByte := float64(after.TotalAlloc-before.TotalAlloc) / float64(len(doc))
			t.Logf("%s: %d bytes, reason %s, %.2f bytes allocated per input byte", c.name, len(doc), res.Reason, perByte)
			if perByte > c.maxPerByte {
				t.Errorf("%.2f bytes allocated per input byte, want at most %g", perByte, c.maxPerByte)
			}
		})
	}
}
