package instruction

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/internal/testenv"
)

// readAll returns every row of the dataset in dir as column -> values.
func readAll(t *testing.T, dir string) map[string][]string {
	t.Helper()
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	err = ds.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		for i, f := range rec.Schema().Fields() {
			col := rec.Column(i).(*array.String)
			for r := 0; r < col.Len(); r++ {
				out[f.Name] = append(out[f.Name], col.Value(r))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestIngestSharedData(t *testing.T) {
	for _, c := range []struct {
		file      string
		cfg       Config
		rows      int64
		multiTurn bool
	}{
		{"sft/gsm8k_train.jsonl", cfg(ShapeQA), 7473, false},
		{"sft/oasst1_zh_sft.jsonl", cfg(ShapeAlpaca), 689, true},
	} {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			path := testenv.SharedFile(t, c.file)
			dst := t.TempDir()
			st, err := Ingest(context.Background(), []string{path}, dst, c.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if st.Rows != c.rows || st.Skipped != 0 || (st.MultiTurn > 0) != c.multiTurn {
				t.Errorf("stats %+v", st)
			}
			got := readAll(t, dst)
			if int64(len(got[ColMessages])) != c.rows {
				t.Fatalf("%d rows of messages", len(got[ColMessages]))
			}
			// Every row's conversation is canonical and its last exchange
			// equals prompt and response.
			for i, js := range got[ColMessages] {
				msgs, err := chat.UnmarshalMessages([]byte(js))
				if err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				if err := chat.CheckConversation(msgs); err != nil {
					t.Fatalf("row %d: %v", i, err)
				}
				if msgs[len(msgs)-1].Content != got[artifact.ColResponse][i] || msgs[len(msgs)-2].Content != got[artifact.ColPrompt][i] {
					t.Fatalf("row %d: prompt/response are not the last exchange", i)
				}
			}
			if got[artifact.ColID][0] != filepath.Base(path)+":1" {
				t.Errorf("first id %q", got[artifact.ColID][0])
			}
		})
	}
}

func TestIngestBadRecordNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "qa.jsonl")
	data := `{"question":"q1","answer":"a1"}

{"question":"q2"}
{"question":"q3","answer":"a3"}
not json
`
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Ingest(context.Background(), []string{path}, t.TempDir(), cfg(ShapeQA))
	if err == nil || !strings.Contains(err.Error(), path+":3: missing field \"answer\"") {
		t.Fatalf("got %v, want an error naming %s:3", err, path)
	}
	skip := cfg(ShapeQA, func(c *Config) { c.OnError = "skip" })
	dst := t.TempDir()
	st, err := Ingest(context.Background(), []string{path}, dst, skip)
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != 2 || st.Skipped != 2 || st.Blank != 1 || len(st.Examples) != 2 || !strings.Contains(st.Examples[1], "qa.jsonl:5:") {
		t.Errorf("stats %+v", st)
	}
	if m := st.Metrics(); m["skipped"] != 2 || m["rows"] != 2 {
		t.Errorf("metrics %v", m)
	}
	if ids := readAll(t, dst)[artifact.ColID]; strings.Join(ids, ",") != "qa.jsonl:1,qa.jsonl:4" {
		t.Errorf("ids %v", ids)
	}
}

// TestFromDatasetMatchesIngest maps the oasst1 Chinese file twice, from
// JSONL directly and through a text dataset (instruction as its text
// column, history as a JSON column): the conversations must be identical.
func TestFromDatasetMatchesIngest(t *testing.T) {
	path := testenv.SharedFile(t, "sft/oasst1_zh_sft.jsonl")
	direct := t.TempDir()
	if _, err := Ingest(context.Background(), []string{path}, direct, cfg(ShapeAlpaca)); err != nil {
		t.Fatal(err)
	}
	text := t.TempDir()
	if _, err := artifact.Ingest(context.Background(), []string{path}, text, artifact.IngestOptions{TextField: "instruction"}); err != nil {
		t.Fatal(err)
	}
	ds, err := artifact.OpenDataset(text)
	if err != nil {
		t.Fatal(err)
	}
	viaDataset := t.TempDir()
	st, err := FromDataset(context.Background(), ds, viaDataset,
		cfg(ShapeAlpaca, func(c *Config) { c.Fields = map[string]string{"instruction": artifact.ColText} }))
	if err != nil {
		t.Fatal(err)
	}
	a, b := readAll(t, direct), readAll(t, viaDataset)
	if st.Rows != 689 || st.MultiTurn != 390 || strings.Join(a[ColMessages], "\n") != strings.Join(b[ColMessages], "\n") ||
		strings.Join(a[artifact.ColID], ",") != strings.Join(b[artifact.ColID], ",") {
		t.Errorf("through a dataset: %+v; conversations or ids differ from the direct mapping", st)
	}
}
