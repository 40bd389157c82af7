package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/preference"
)

// hhJSONL holds n HH records with distinct prompts, the second of each
// pair of lines a two-turn conversation, and one record (line n+1) whose
// transcripts do not share their first turn.
func hhJSONL(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		prefix := fmt.Sprintf(`\n\nHuman: question %d`, i)
		if i%2 == 1 {
			prefix = fmt.Sprintf(`\n\nHuman: hello %d\n\nAssistant: Hi.\n\nHuman: question %d`, i, i)
		}
		fmt.Fprintf(&b, `{"chosen":"%s\n\nAssistant: a kind answer","rejected":"%s\n\nAssistant: a rude answer"}`+"\n", prefix, prefix)
	}
	b.WriteString(`{"chosen":"\n\nHuman: one\n\nAssistant: x","rejected":"\n\nHuman: two\n\nAssistant: y"}` + "\n")
	return b.String()
}

func TestPreferencesNode(t *testing.T) {
	src := `
preferences "hh" {
  path         = "hh.jsonl"
  shape        = "hh"
  val_fraction = 0.25
  on_error     = "skip"
  seed         = 5
}
output "train" { value = preferences.hh }
output "val"   { value = preferences.hh.val }
`
	files := map[string]string{"hh.jsonl": hhJSONL(40)}
	store := newStore(t)
	log, res, err := runInDir(t, src, files, store)
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("run: %v %v %v", err, res, log.events)
	}
	if !log.has(`log preferences.hh: skipped `) || !strings.Contains(strings.Join(log.events, "\n"), "hh.jsonl:41: chosen and rejected share no") {
		t.Errorf("events %v, want the skipped record named by hh.jsonl:41", log.events)
	}
	counts := map[string]int{}
	for _, name := range []string{"train", "val"} {
		m, err := store.Manifest(res.Outputs[name])
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind != artifact.KindPreference || !strings.Contains(m.Schema, "prompt: utf8, chosen: utf8, rejected: utf8") {
			t.Errorf("%s: kind %s schema %s", name, m.Kind, m.Schema)
		}
		pairs, err := preference.Read(context.Background(), store.Path(m.Digest))
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(pairs)) != m.Rows {
			t.Errorf("%s: %d pairs, manifest says %d rows", name, len(pairs), m.Rows)
		}
		for _, p := range pairs {
			if p.Chosen != "a kind answer" || p.Rejected != "a rude answer" || !strings.HasPrefix(p.Prompt[len(p.Prompt)-1].Content, "question ") {
				t.Errorf("%s: pair %+v", name, p)
			}
		}
		counts[name] = len(pairs)
	}
	if counts["train"]+counts["val"] != 40 || counts["val"] < 4 || counts["val"] > 18 {
		t.Errorf("split %v, want 40 pairs with about a quarter held out", counts)
	}

	// A fresh store and the same seed give the same artifacts; another
	// seed holds out other records.
	_, again, err := runInDir(t, src, files, newStore(t))
	if err != nil || again.Outputs["val"] != res.Outputs["val"] || again.Outputs["train"] != res.Outputs["train"] {
		t.Errorf("re-run: %v, outputs %v, want %v", err, again.Outputs, res.Outputs)
	}
	_, reseeded, err := runInDir(t, strings.Replace(src, "seed         = 5", "seed         = 6", 1), files, newStore(t))
	if err != nil || reseeded.Outputs["val"] == res.Outputs["val"] {
		t.Errorf("seed 6: %v, val %s, want another split than seed 5's", err, reseeded.Outputs["val"])
	}
}

func TestPreferencesNodeBadRecord(t *testing.T) {
	src := `
preferences "hh" {
  path  = "hh.jsonl"
  shape = "hh"
}
`
	log, res, _ := runInDir(t, src, map[string]string{"hh.jsonl": hhJSONL(3)}, newStore(t))
	if res == nil || res.Status != StatusFailed {
		t.Fatalf("result %+v, want a failed run", res)
	}
	if !strings.Contains(strings.Join(log.events, "\n"), "hh.jsonl:4: chosen and rejected share no \"Assistant:\" turn") {
		t.Errorf("events %v, want a failure naming hh.jsonl:4", log.events)
	}
}

// TestDatasetToPreferences maps ranked records read by a dataset block:
// the instruction is the text column, output and history JSON columns.
func TestDatasetToPreferences(t *testing.T) {
	src := `
dataset "rm" {
  path       = "rm.jsonl"
  text_field = "instruction"
}
preferences "rm" {
  input        = dataset.rm
  shape        = "ranked"
  fields       = { instruction = "text" }
  ranked_pairs = "all"
}
output "data" { value = preferences.rm }
`
	rm := `{"instruction":"布洛芬是什么？","input":"","output":["一种止痛药。","不知道","药"],"history":[["你好","你好！"]]}
{"instruction":"2+2?","input":"","output":["4","5"],"history":[]}
`
	store := newStore(t)
	log, res, err := runInDir(t, src, map[string]string{"rm.jsonl": rm}, store)
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("run: %v %v", err, log.events)
	}
	pairs, err := preference.Read(context.Background(), store.Path(res.Outputs["data"]))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, p := range pairs {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "rm.jsonl:1/0>1,rm.jsonl:1/0>2,rm.jsonl:1/1>2,rm.jsonl:2/0>1" {
		t.Errorf("pair ids %v", ids)
	}
	if len(pairs[0].Prompt) != 3 || pairs[0].Prompt[1].Content != "你好！" || pairs[2].Chosen != "不知道" {
		t.Errorf("first record's pairs %+v", pairs[:3])
	}
}
