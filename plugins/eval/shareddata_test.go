package eval

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/internal/testenv"
)

// TestGSM8KReferences ingests the real GSM8K test split as the dataset node
// does: the answer field passes through as a column, and the default
// answer_regex turns every reference into a plain number.
func TestGSM8KReferences(t *testing.T) {
	src := testenv.SharedFile(t, "sft/gsm8k_test.jsonl")
	dst := filepath.Join(t.TempDir(), "ds")
	if _, err := artifact.Ingest(context.Background(), []string{src}, dst, artifact.IngestOptions{Format: "jsonl", TextField: "question"}); err != nil {
		t.Fatal(err)
	}
	set, err := loadExamples(context.Background(), "prompts", dst, 0)
	if err != nil {
		t.Fatal(err)
	}
	tm, _ := ParseTemplate("Question: {text}\nAnswer:")
	if err := set.need("template", tm.Fields()...); err != nil {
		t.Fatal(err)
	}
	if err := set.need("reference", "answer"); err != nil {
		t.Fatal(err)
	}
	ex, _ := NewExtractor(GSM8KAnswer)
	for i := range set.rows {
		ref, err := set.value(i, "answer")
		if err != nil {
			t.Fatal(err)
		}
		a := ex.Extract(ref)
		if _, err := strconv.ParseFloat(a, 64); err != nil {
			t.Fatalf("example %s: answer %q extracted from %q", set.rows[i].id, a, ref)
		}
	}
	t.Logf("%d GSM8K references, all with a numeric answer", len(set.rows))
}
