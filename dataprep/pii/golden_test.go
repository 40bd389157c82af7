package pii

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/llmflow/llmflow/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenStats pins what the scanner finds in the shared corpora (real
// web text holds real phone numbers and e-mail addresses).
func TestGoldenStats(t *testing.T) {
	p, _ := New(DefaultConfig())
	data := testenv.SharedData(t)
	corpora := map[string][]string{
		"c4":      testenv.ReadJSONLText(t, filepath.Join(data, "web-noisy", "c4_demo.jsonl")),
		"xiyouji": testenv.ChunkLines(t, filepath.Join(data, "pretrain-zh", "xiyouji.txt"), 1000),
	}
	for _, name := range []string{"c4", "xiyouji"} {
		var st Stats
		for _, tx := range corpora[name] {
			_, c := p.Scrub(tx)
			st.add(len(tx), c)
		}
		testenv.CheckGolden(t, "stats_"+name+".json", st.Metrics(), *update)
	}
}
