package dedup_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/clean"
	"github.com/llmflow/llmflow/dataprep/dedup"
	"github.com/llmflow/llmflow/dataprep/pii"
)

func findShared(t *testing.T) string {
	if d := os.Getenv("LLMFLOW_SHARED_DATA"); d != "" {
		return d
	}
	dir, _ := os.Getwd()
	for ; ; dir = filepath.Dir(dir) {
		if st, err := os.Stat(filepath.Join(dir, "shared", "data")); err == nil && st.IsDir() {
			return filepath.Join(dir, "shared", "data")
		}
		if filepath.Dir(dir) == dir {
			break
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("shared/data not found; set LLMFLOW_SHARED_DATA")
	}
	t.Skip("shared/data not found; set LLMFLOW_SHARED_DATA to run")
	return ""
}

// TestCleanDedupPII runs clean -> dedup -> pii over web-noisy with planted
// duplicates and personal data, as the pipeline nodes chain them.
func TestCleanDedupPII(t *testing.T) {
	src := filepath.Join(findShared(t), "web-noisy", "c4_demo.jsonl")
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var row struct{ Text string }
		json.Unmarshal(sc.Bytes(), &row)
		texts = append(texts, row.Text)
	}
	f.Close()

	r := rand.New(rand.NewPCG(5, 6))
	type row struct{ ID, Text string }
	var rows []row
	secrets := map[string]bool{}
	for i, tx := range texts {
		if i%10 == 0 {
			email := fmt.Sprintf("person%d@example.com", i)
			phone := fmt.Sprintf("139%08d", r.IntN(1e8))
			secrets[email], secrets[phone] = true, true
			k := strings.Index(tx, ". ") + 2 // inside a line that clean keeps
			tx = "Mail " + email + " please. " + tx[:k] + "Call 电话" + phone + " today. " + tx[k:]
		}
		texts[i] = tx
		rows = append(rows, row{fmt.Sprint("doc-", i), tx})
	}
	copyOf := map[string]string{}
	for i := 0; i < len(texts); i += 5 {
		w := strings.Fields(texts[i])
		if i%3 == 0 {
			for k := 0; k < max(1, len(w)/40); k++ {
				w[r.IntN(len(w))] = "planted"
			}
		}
		id := fmt.Sprint("copy-", i)
		copyOf[id] = fmt.Sprint("doc-", i)
		rows = append(rows, row{id, strings.Join(w, " ")})
	}
	tmp := t.TempDir()
	jsonl := filepath.Join(tmp, "in.jsonl")
	var sb strings.Builder
	for _, rw := range rows {
		b, _ := json.Marshal(map[string]string{"id": rw.ID, "text": rw.Text})
		sb.Write(b)
		sb.WriteByte('\n')
	}
	os.WriteFile(jsonl, []byte(sb.String()), 0o644)
	ctx := context.Background()
	if _, err := artifact.Ingest(ctx, []string{jsonl}, filepath.Join(tmp, "raw"), artifact.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	raw, err := artifact.OpenDataset(filepath.Join(tmp, "raw"))
	if err != nil {
		t.Fatal(err)
	}

	ccfg := clean.DefaultConfig()
	cout, _ := artifact.NewDatasetWriter(filepath.Join(tmp, "clean"), clean.OutputSchema(raw.Schema(), ccfg))
	cst, err := clean.Run(ctx, raw, cout, ccfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	cout.Close()
	cleaned, _ := artifact.OpenDataset(filepath.Join(tmp, "clean"))

	dout, _ := artifact.NewDatasetWriter(filepath.Join(tmp, "dedup"), cleaned.Schema())
	dst, err := dedup.Run(ctx, cleaned, dout, dedup.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	dout.Close()
	deduped, _ := artifact.OpenDataset(filepath.Join(tmp, "dedup"))

	pout, _ := artifact.NewDatasetWriter(filepath.Join(tmp, "pii"), deduped.Schema())
	pst, err := pii.Run(ctx, deduped, pout, pii.DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pout.Close()
	final, _ := artifact.OpenDataset(filepath.Join(tmp, "pii"))

	ids := func(ds *artifact.Dataset) (map[string]string, []string) {
		m := map[string]string{}
		var order []string
		ds.Scan(ctx, func(rec arrow.RecordBatch) error {
			idc := rec.Column(rec.Schema().FieldIndices("id")[0]).(*array.String)
			txc := rec.Column(rec.Schema().FieldIndices("text")[0]).(*array.String)
			for i := range int(rec.NumRows()) {
				m[idc.Value(i)] = txc.Value(i)
				order = append(order, idc.Value(i))
			}
			return nil
		})
		return m, order
	}
	afterClean, _ := ids(cleaned)
	out, order := ids(final)
	planted, removed := 0, 0
	for c, orig := range copyOf {
		if _, ok := afterClean[orig]; !ok {
			continue
		}
		if _, ok := afterClean[c]; !ok {
			continue
		}
		planted++
		if _, ok := out[c]; !ok {
			removed++
		}
		if _, ok := out[orig]; !ok {
			t.Errorf("original %s removed instead of its copy", orig)
		}
	}
	leaks := 0
	for _, id := range order {
		for s := range secrets {
			if strings.Contains(out[id], s) {
				leaks++
			}
		}
	}
	fmt.Printf("e2e: %d rows in, %d after clean, %d after dedup (%d exact, %d near, %d clusters), %d after pii (%d found: %v)\n",
		raw.Rows(), cst.DocsKept, dst.Kept, dst.Exact, dst.Near, dst.Clusters, final.Rows(), pst.Found.Total(), pst.Found)
	fmt.Printf("e2e: planted duplicates surviving clean removed %d / %d; planted PII left %d\n", removed, planted, leaks)
	if removed != planted || planted == 0 {
		t.Errorf("removed %d of %d planted duplicates", removed, planted)
	}
	if leaks != 0 {
		t.Errorf("%d planted PII values left", leaks)
	}
}
