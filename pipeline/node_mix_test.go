package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

const mixPipeline = `
dataset "web" {
  path = "web.jsonl"
}
dataset "notes" {
  path = "notes.txt"
}
mix "corpus" {
  inputs       = [dataset.web, dataset.notes]
  weights      = [3, 1]
  on_exhausted = "continue"
  seed         = 5
}
tokenizer "bpe" {
  input      = mix.corpus
  vocab_size = 300
}
tokenize "corpus" {
  input        = mix.corpus
  tokenizer    = tokenizer.bpe
  block_size   = 16
  val_fraction = 0.1
}
`

// mixFiles writes the two sources: 60 JSONL documents and 20 text lines.
func mixFiles(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var web, notes strings.Builder
	for i := range 60 {
		fmt.Fprintf(&web, "{\"id\":\"w%d\",\"text\":\"web page %d about the weather and the sea\"}\n", i, i)
	}
	for i := range 20 {
		fmt.Fprintf(&notes, "note %d on reading the sky before sailing\n", i)
	}
	for name, s := range map[string]string{"web.jsonl": web.String(), "notes.txt": notes.String(), "p.hcl": mixPipeline} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func planFile(t *testing.T, path string, store *artifact.Store) *Plan {
	t.Helper()
	cfg, diags := LoadFile(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b, diags := cfg.Bind(nil)
	return planBound(t, store, b, diags)
}

// TestMixPipeline runs dataset -> mix -> tokenizer/tokenize with a real
// store and run database: every row arrives once with its source, the
// counts per source are recorded as metrics, and a second run into a fresh
// store gives the same artifacts.
func TestMixPipeline(t *testing.T) {
	dir := mixFiles(t)
	path := filepath.Join(dir, "p.hcl")
	db := newRunDB(t)

	var digests []string
	for run := range 2 {
		store := newStore(t)
		plan := planFile(t, path, store)
		rec, err := StartRecording(context.Background(), db, store, plan, "")
		if err != nil {
			t.Fatal(err)
		}
		res, err := (&Engine{Store: store, Hook: rec, RunID: rec.RunID(), Parallelism: 2}).Run(context.Background(), plan)
		if err != nil || rec.Err() != nil {
			t.Fatal(err, rec.Err())
		}
		if res.Status != runstore.StatusSucceeded {
			t.Fatalf("run %d: %s", run, res.Status)
		}
		out := planFile(t, path, store) // everything is cached now
		var mixed, train string
		for _, n := range out.Nodes {
			if n.Action != ActionCached {
				t.Fatalf("%s is %s after the run", n.Addr, n.Action)
			}
			switch n.Addr {
			case "mix.corpus":
				mixed = n.Outputs["data"]
			case "tokenize.corpus":
				train = n.Outputs["train"]
			}
		}
		digests = append(digests, mixed+" "+train)

		d, err := db.GetRun(context.Background(), rec.RunID())
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, m := range d.Metrics {
			if m.Addr == "mix.corpus" {
				got[m.Name] = m.Last
			}
		}
		if got["rows"] != 80 || got["rows.dataset.web"] != 60 || got["rows.dataset.notes"] != 20 {
			t.Errorf("mix metrics %v, want rows 80 = 60 web + 20 notes", got)
		}
		if run == 0 {
			checkMixed(t, store.Path(mixed))
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("two runs differ: %v", digests)
	}
}

// checkMixed reads the mix output: sources interleaved, each in its order.
func checkMixed(t *testing.T, dir string) {
	t.Helper()
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := artifact.SchemaString(ds.Schema()); got != "id: utf8, text: utf8, source: utf8" {
		t.Errorf("schema %s", got)
	}
	var seq []string
	err = ds.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		src := rec.Column(2).(*array.String)
		for i := range int(rec.NumRows()) {
			seq = append(seq, src.Value(i))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seq) != 80 || !strings.Contains(strings.Join(seq[:20], ","), "dataset.notes") {
		t.Errorf("%d rows, first 20 from %v: want 80, interleaved", len(seq), seq[:20])
	}
}

// TestMixInputKinds: mix takes text datasets only; Check says so without
// running anything.
func TestMixInputKinds(t *testing.T) {
	dir := mixFiles(t)
	src := mixPipeline + `
mix "bad" {
  inputs = [dataset.web, tokenize.corpus.train]
}
`
	cfg, diags := Load(filepath.Join(dir, "p.hcl"), []byte(src))
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	b, diags := cfg.Bind(nil)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	diags = (&Planner{}).Check(context.Background(), b)
	if len(diags) != 1 || diags[0].Summary != "Incompatible input" || diags[0].Subject.Start.Line != 26 ||
		!strings.Contains(diags[0].Detail, `"inputs[1]"`) {
		t.Fatalf("diagnostics %v, want one Incompatible input on inputs[1], line 26", diags)
	}
}
