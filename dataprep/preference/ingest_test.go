package preference

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/dataprep/chat"
	"github.com/llmflow/llmflow/internal/testenv"
)

// ingested is what one ingest wrote: the pairs of each side and the stats.
type ingested struct {
	train, val []Pair
	st         Stats
}

// ingestWith runs fn (Ingest or FromDataset) into two fresh writers and
// reads the pairs back.
func ingestWith(t testing.TB, fn func(train, val *Writer) (Stats, error)) (ingested, error) {
	t.Helper()
	dirs := [2]string{t.TempDir() + "/train", t.TempDir() + "/val"}
	var ws [2]*Writer
	for i, d := range dirs {
		w, err := NewWriter(d)
		if err != nil {
			t.Fatal(err)
		}
		ws[i] = w
	}
	st, err := fn(ws[0], ws[1])
	if err != nil {
		ws[0].Abort()
		ws[1].Abort()
		return ingested{st: st}, err
	}
	out := ingested{st: st}
	for i, dst := range []*[]Pair{&out.train, &out.val} {
		if err := ws[i].Close(); err != nil {
			t.Fatal(err)
		}
		if *dst, err = Read(context.Background(), dirs[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out, nil
}

func ingestFiles(t testing.TB, paths []string, c Config, seed int64) (ingested, error) {
	return ingestWith(t, func(train, val *Writer) (Stats, error) {
		return Ingest(context.Background(), paths, train, val, c, seed)
	})
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rankedRecords writes n ranked records, some sharing a prompt, with two to
// four answers each.
func rankedRecords(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		answers := []string{}
		for j := 0; j < 2+i%3; j++ {
			answers = append(answers, fmt.Sprintf("answer %d of %d", j, i))
		}
		out, _ := json.Marshal(answers)
		fmt.Fprintf(&b, `{"instruction":"question %d","input":"","output":%s}`+"\n", i%(n-5), out)
	}
	return b.String()
}

func TestIngestSplit(t *testing.T) {
	path := writeFile(t, "ranked.jsonl", rankedRecords(400))
	c := shape(ShapeRanked, func(c *Config) { c.ValFraction = 0.25; c.RankedPairs = RankedAll })
	a, err := ingestFiles(t, []string{path}, c, 3)
	if err != nil {
		t.Fatal(err)
	}
	if a.st.Rows != 400 || int64(len(a.train)+len(a.val)) != a.st.Pairs || int64(len(a.val)) != a.st.ValPairs {
		t.Fatalf("stats %+v, train %d val %d", a.st, len(a.train), len(a.val))
	}
	if f := float64(a.st.ValRows) / 400; math.Abs(f-0.25) > 0.07 {
		t.Errorf("held out %g of the records, want about 0.25", f)
	}
	// A prompt, and so every pair of its records, is on one side.
	side := map[string]string{}
	for name, pairs := range map[string][]Pair{"train": a.train, "val": a.val} {
		for _, p := range pairs {
			q := p.Prompt[len(p.Prompt)-1].Content
			if s, ok := side[q]; ok && s != name {
				t.Fatalf("prompt %q has pairs in train and val", q)
			}
			side[q] = name
		}
	}
	b, err := ingestFiles(t, []string{path}, c, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("the same seed split differently")
	}
	other, err := ingestFiles(t, []string{path}, c, 4)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.val, other.val) {
		t.Error("seeds 3 and 4 held out the same pairs")
	}
	c.ValFraction = 0
	none, err := ingestFiles(t, []string{path}, c, 3)
	if err != nil || len(none.val) != 0 || len(none.train) != len(a.train)+len(a.val) {
		t.Errorf("val_fraction 0: %v, %d val pairs", err, len(none.val))
	}
}

// TestFromDatasetIndependentOfShards maps the same records from JSONL and
// from text datasets cut into shards of different sizes: pairs and split
// must not change.
func TestFromDatasetIndependentOfShards(t *testing.T) {
	path := writeFile(t, "ranked.jsonl", rankedRecords(120))
	c := shape(ShapeRanked, func(c *Config) { c.ValFraction = 0.3 })
	direct, err := ingestFiles(t, []string{path}, c, 9)
	if err != nil {
		t.Fatal(err)
	}
	c.Fields = map[string]string{"instruction": artifact.ColText}
	for _, shardRows := range []int64{7, 50, 1000} {
		text := t.TempDir()
		if _, err := artifact.Ingest(context.Background(), []string{path}, text,
			artifact.IngestOptions{TextField: "instruction", ShardRows: shardRows}); err != nil {
			t.Fatal(err)
		}
		ds, err := artifact.OpenDataset(text)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ingestWith(t, func(train, val *Writer) (Stats, error) {
			return FromDataset(context.Background(), ds, train, val, c, 9)
		})
		if err != nil {
			t.Fatal(err)
		}
		got.st.Files = direct.st.Files
		if !reflect.DeepEqual(got, direct) {
			t.Errorf("shards of %d rows: %+v, want %+v", shardRows, got.st, direct.st)
		}
	}
}

func TestIngestBadRecords(t *testing.T) {
	path := writeFile(t, "p.jsonl", `{"prompt":"q","chosen":"a","rejected":"b"}

{"prompt":"q","chosen":"a"}
{"prompt":"q2","chosen":"a","rejected":"a"}
{"prompt":"q3","chosen":"a","rejected":"b","history":[["hi","hello"]]}
`)
	_, err := ingestFiles(t, []string{path}, shape(ShapePairs), 1)
	if err == nil || err.Error() != path+`:3: missing field "rejected"` {
		t.Errorf("got %v, want an error naming %s:3", err, path)
	}
	got, err := ingestFiles(t, []string{path}, shape(ShapePairs, func(c *Config) { c.OnError = "skip" }), 1)
	if err != nil {
		t.Fatal(err)
	}
	st := got.st
	if st.Rows != 2 || st.Pairs != 2 || st.Skipped != 2 || st.Blank != 1 || st.MultiTurn != 1 || len(st.Examples) != 2 ||
		!strings.Contains(st.Examples[1], "p.jsonl:4: chosen and rejected are the same answer") {
		t.Errorf("stats %+v", st)
	}
	m := st.Metrics()
	if m["pairs"] != 2 || m["skipped"] != 2 || m["mean_prompt_chars"] != 5 || m["mean_chosen_chars"] != 1 {
		t.Errorf("metrics %v", m)
	}
}

// TestHHSharedFile splits every row of the shared HH file and writes the
// turns back: each transcript must come out byte for byte.
func TestHHSharedFile(t *testing.T) {
	path := testenv.SharedFile(t, "preference/hh_rlhf_harmless_base_test.jsonl")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	c := shape(ShapeHH)
	var rows, empty, repeated, runOn int
	for line := 1; sc.Scan(); line++ {
		rows++
		var raw struct{ Chosen, Rejected string }
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		rec, err := c.Map(sc.Bytes(), fmt.Sprint(line))
		if err != nil {
			// The file has rows whose chosen answer is empty and rows
			// with two Assistant turns in a row.
			switch {
			case strings.Contains(err.Error(), "answer (after the last Assistant turn"):
				empty++
			case strings.Contains(err.Error(), `both "Assistant:" turns`):
				repeated++
			default:
				t.Errorf("line %d: %v", line, err)
			}
			continue
		}
		p := rec.Pairs[0]
		if hasTurn(p.Chosen) || hasTurn(p.Rejected) {
			runOn++
		}
		if got := hhTranscript(p.Prompt, p.Chosen); got != raw.Chosen {
			t.Errorf("line %d: chosen rebuilt as\n%q\nwant\n%q", line, got, raw.Chosen)
		}
		if got := hhTranscript(p.Prompt, p.Rejected); got != raw.Rejected {
			t.Errorf("line %d: rejected rebuilt as\n%q\nwant\n%q", line, got, raw.Rejected)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if rows != 2312 || empty != 4 || repeated != 4 || runOn != 5 {
		t.Errorf("%d rows, %d with an empty answer, %d with repeated turns, %d answers running on into a turn; want 2312, 4, 4, 5",
			rows, empty, repeated, runOn)
	}
}

func hhTranscript(prompt []chat.Message, answer string) string {
	var b strings.Builder
	for _, m := range prompt {
		if m.Role == chat.RoleUser {
			b.WriteString("\n\nHuman: ")
		} else {
			b.WriteString("\n\nAssistant: ")
		}
		b.WriteString(m.Content)
	}
	return b.String() + "\n\nAssistant: " + answer
}

// TestRankedSharedFile expands the shared oasst1 ranked file: 775 records,
// 434 with two answers, 263 with three, 63 with four, 15 with more.
func TestRankedSharedFile(t *testing.T) {
	path := testenv.SharedFile(t, "preference/oasst1_zh_rm.jsonl")
	got, err := ingestFiles(t, []string{path}, shape(ShapeRanked, func(c *Config) { c.ValFraction = 0.2 }), 1)
	if err != nil {
		t.Fatal(err)
	}
	st := got.st
	if st.Rows != 775 || st.Skipped != 0 || st.MultiTurn != 392 || st.Pairs+st.Identical < 434+2*263+3*63+4*15 {
		t.Errorf("stats %+v", st)
	}
	t.Logf("%v", st.Metrics())
}
