package clean

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/llmflow/llmflow/dataprep/stream"
)

// TestJSONLDeterministic cleans the web corpus as JSONL with 1 and 2
// workers and small units: outputs and rejects must be byte-identical.
func TestJSONLDeterministic(t *testing.T) {
	path := filepath.Join(sharedData(t), "web-noisy", "c4_demo.jsonl")
	in, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var outs [2][]byte
	for k, workers := range []int{1, 2} {
		var out, rej bytes.Buffer
		cfg := DefaultConfig()
		opt := stream.JSONLOptions{Options: stream.Options{Workers: workers, BatchRows: 7, Extra: []string{"language"}}, Name: path, Rejects: &rej}
		ms, err := stream.RunJSONL(context.Background(), bytes.NewReader(in), &out, opt, func(int) *Mapper {
			m, _ := NewMapper(cfg)
			return m
		})
		if err != nil {
			t.Fatal(err)
		}
		var st Stats
		for _, m := range ms {
			st.Add(m.C.Stats())
		}
		if st.DocsIn != 300 || int(st.DocsKept) != bytes.Count(out.Bytes(), []byte("\n")) {
			t.Fatalf("workers=%d: %d in, %d kept, %d lines", workers, st.DocsIn, st.DocsKept, bytes.Count(out.Bytes(), []byte("\n")))
		}
		outs[k] = append(out.Bytes(), rej.Bytes()...)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Fatal("JSONL output differs between 1 and 2 workers")
	}
}
