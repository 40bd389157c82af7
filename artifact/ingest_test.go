package artifact

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// readRows returns every row of a dataset as column name -> rendered value.
func readRows(t testing.TB, dir string) (*Dataset, []map[string]string) {
	t.Helper()
	d, err := OpenDataset(dir)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]string
	err = d.Scan(context.Background(), func(rec arrow.RecordBatch) error {
		for i := 0; i < int(rec.NumRows()); i++ {
			row := map[string]string{}
			for c, col := range rec.Columns() {
				v := "<null>"
				if col.IsValid(i) {
					v = col.ValueStr(i)
				}
				row[rec.ColumnName(c)] = v
			}
			rows = append(rows, row)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return d, rows
}

func ingestString(t *testing.T, name, content string, opt IngestOptions) (IngestStats, string, error) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, name)
	if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out")
	st, err := Ingest(context.Background(), []string{src}, dst, opt)
	return st, dst, err
}

func TestIngestJSONL(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      string
		opt     IngestOptions
		want    []string // "id|text"
		skipped int64
		err     string
	}{
		{name: "basic", in: `{"id":"a","text":"hello"}` + "\n" + `{"text":"wörld","id":7}` + "\n",
			want: []string{"a|hello", "7|wörld"}},
		{name: "generated ids", in: "{\"text\":\"x\"}\n\n  \n{\"text\":\"y\",\"id\":null}\r\n",
			want: []string{"in.jsonl:1|x", "in.jsonl:4|y"}},
		{name: "mapping", in: `{"q":"what?","key":"k1","text":"other"}`, opt: IngestOptions{TextField: "q", IDField: "key"},
			want: []string{"k1|what?"}},
		{name: "escapes", in: `{"text":"a\"b\\c\u00e9\ud83d\ude00\n"}`, want: []string{"in.jsonl:1|a\"b\\cé😀\n"}},
		{name: "bom", in: "\xef\xbb\xbf{\"text\":\"x\"}", want: []string{"in.jsonl:1|x"}},
		{name: "no trailing newline", in: "{\"text\":\"x\"}\n{\"text\":\"y\"}", want: []string{"in.jsonl:1|x", "in.jsonl:2|y"}},
		{name: "invalid json", in: "{\"text\":\"x\"}\n{\"text\":\n", err: "in.jsonl:2: column 9: invalid JSON"},
		{name: "missing text", in: "{\"text\":\"x\"}\n{\"body\":\"y\"}\n", err: `in.jsonl:2: missing field "text"`},
		{name: "text not string", in: `{"text":5}`, err: `in.jsonl:1: field "text" is an integer, want a string`},
		{name: "id object", in: `{"text":"x","id":{}}`, err: `in.jsonl:1: field "id" is an object`},
		{name: "invalid utf8", in: "{\"text\":\"a\xffb\"}", err: "in.jsonl:1: column 11: invalid UTF-8 byte 0xff"},
		{name: "lone surrogate", in: `{"text":"\ud800x"}`, err: "lone UTF-16 surrogate"},
		{name: "not object", in: `["text"]`, err: "want an object"},
		{name: "trailing data", in: `{"text":"x"} {}`, err: "unexpected data after the object"},
		{name: "skip", in: "{\"text\":\"x\"}\nnope\n{\"text\":1}\n{\"text\":\"\xff\"}\n{\"text\":\"y\"}\n",
			opt: IngestOptions{OnError: "skip"}, want: []string{"in.jsonl:1|x", "in.jsonl:5|y"}, skipped: 3},
		{name: "empty", in: "", want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, dst, err := ingestString(t, "in.jsonl", tc.in, tc.opt)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, rows := readRows(t, dst)
			var got []string
			for _, r := range rows {
				got = append(got, r["id"]+"|"+r["text"])
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || st.Skipped != tc.skipped || st.Rows != int64(len(tc.want)) {
				t.Fatalf("got %q skipped %d rows %d, want %q skipped %d", got, st.Skipped, st.Rows, tc.want, tc.skipped)
			}
			if tc.skipped > 0 && len(st.Examples) != int(tc.skipped) {
				t.Fatalf("examples %q", st.Examples)
			}
		})
	}
}

func TestIngestJSONLExtraColumns(t *testing.T) {
	in := `{"text":"a","b":true,"i":1,"f":1,"s":"x","o":{"k":[1]},"m":1,"n":null}
{"text":"b","b":false,"i":-2,"f":2.5,"s":"y\u00e9","o":[],"m":"one","extra_late":3}
{"text":"c"}
`
	_, dst, err := ingestString(t, "in.jsonl", in, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, rows := readRows(t, dst)
	want := "id: utf8, text: utf8, b: bool?, i: int64?, f: float64?, s: utf8?, o: utf8?, m: utf8?, n: utf8?, extra_late: int64?"
	if got := SchemaString(d.Schema()); got != want {
		t.Fatalf("schema\n got %s\nwant %s", got, want)
	}
	if enc, _ := d.Schema().Field(6).Metadata.GetValue("encoding"); enc != "json" {
		t.Fatalf("object column not marked as JSON: %v", d.Schema().Field(6))
	}
	r := rows[1]
	if r["b"] != "false" || r["i"] != "-2" || r["f"] != "2.5" || r["s"] != "yé" || r["o"] != "[]" || r["m"] != `"one"` || r["n"] != "<null>" || r["extra_late"] != "3" {
		t.Fatalf("row 2: %v", r)
	}
	if rows[0]["o"] != `{"k":[1]}` || rows[0]["m"] != "1" || rows[2]["b"] != "<null>" {
		t.Fatalf("rows: %v", rows)
	}
	// Fields named like the output columns are renamed; Extra none drops all.
	_, dst, err = ingestString(t, "in.jsonl", `{"body":"t","text":"orig","id":5}`, IngestOptions{TextField: "body", IDField: "key"})
	if err != nil {
		t.Fatal(err)
	}
	d, rows = readRows(t, dst)
	if SchemaString(d.Schema()) != "id: utf8, text: utf8, orig_text: utf8?, orig_id: int64?" || rows[0]["text"] != "t" || rows[0]["orig_text"] != "orig" {
		t.Fatalf("%s %v", SchemaString(d.Schema()), rows)
	}
	_, dst, err = ingestString(t, "in.jsonl", `{"text":"t","x":1}`, IngestOptions{Extra: "none"})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ = readRows(t, dst); d.Schema().NumFields() != 2 {
		t.Fatalf("extra none kept %s", SchemaString(d.Schema()))
	}
}

func TestIngestText(t *testing.T) {
	in := "first line\r\n\nsecond\n  para  \n\n\n\nthird"
	for _, tc := range []struct {
		mode string
		want []string
	}{
		{"line", []string{"in.txt:1|first line", "in.txt:3|second", "in.txt:4|  para  ", "in.txt:8|third"}},
		{"paragraph", []string{"in.txt:1|first line", "in.txt:3|second\n  para  ", "in.txt:8|third"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			_, dst, err := ingestString(t, "in.txt", in, IngestOptions{TextMode: tc.mode})
			if err != nil {
				t.Fatal(err)
			}
			_, rows := readRows(t, dst)
			var got []string
			for _, r := range rows {
				got = append(got, r["id"]+"|"+r["text"])
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
	_, _, err := ingestString(t, "in.txt", "ok\nbad \xc3\x28 here\n", IngestOptions{})
	if err == nil || !strings.Contains(err.Error(), "in.txt:2: column 5: invalid UTF-8 byte 0xc3") {
		t.Fatalf("error %v", err)
	}
	st, dst, err := ingestString(t, "in.txt", "a\nb\n\xff\n\nc\n", IngestOptions{OnError: "skip", TextMode: "paragraph"})
	if err != nil || st.Skipped != 1 || st.Rows != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	if _, rows := readRows(t, dst); rows[0]["text"] != "c" {
		t.Fatalf("%v", rows)
	}
}

func TestIngestOptionsErrors(t *testing.T) {
	for name, opt := range map[string]IngestOptions{
		"format":   {Format: "csv"},
		"on_error": {OnError: "ignore"},
		"mode":     {Format: "text", TextMode: "doc"},
		"same":     {TextField: "x", IDField: "x"},
		"extra":    {Extra: "some"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := ingestString(t, "in.jsonl", `{"text":"x"}`, opt); err == nil {
				t.Fatal("no error")
			}
		})
	}
	if _, _, err := ingestString(t, "in.csv", "a,b", IngestOptions{}); err == nil || !strings.Contains(err.Error(), "cannot tell the format") {
		t.Fatalf("error %v", err)
	}
}

func TestIngestLongLine(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a large file")
	}
	long := `{"text":"` + strings.Repeat("a", MaxLineBytes) + `"}`
	st, _, err := ingestString(t, "in.jsonl", "{\"text\":\"x\"}\n"+long+"\n{\"text\":\"y\"}\n", IngestOptions{OnError: "skip"})
	if err != nil || st.Rows != 2 || st.Skipped != 1 || !strings.Contains(st.Examples[0], "in.jsonl:2: line longer") {
		t.Fatalf("%+v %v", st, err)
	}
}

func TestIngestDeterministic(t *testing.T) {
	in := strings.Repeat(`{"text":"hello world","score":0.5,"tags":["a"]}`+"\n", 30000)
	_, a, err := ingestString(t, "in.jsonl", in, IngestOptions{ShardRows: 10000})
	if err != nil {
		t.Fatal(err)
	}
	_, b, _ := ingestString(t, "in.jsonl", in, IngestOptions{ShardRows: 10000})
	da, _, _ := DigestDir(KindText, a)
	db, _, _ := DigestDir(KindText, b)
	if da != db {
		t.Fatal("same input gave different datasets")
	}
	if d, _ := OpenDataset(a); d.NumShards() != 3 || d.Rows() != 30000 {
		t.Fatalf("shards %d rows %d", d.NumShards(), d.Rows())
	}
}

func TestIngestSharedData(t *testing.T) {
	for _, tc := range []struct {
		path string
		opt  IngestOptions
		rows int64
	}{
		{"sft/gsm8k_train.jsonl", IngestOptions{TextField: "question"}, 7473},
		{"sft/gsm8k_test.jsonl", IngestOptions{TextField: "answer"}, 1319},
		{"sft/self_instruct_seed_tasks.jsonl", IngestOptions{TextField: "instruction"}, 175},
		{"sft/oasst1_zh_sft.jsonl", IngestOptions{TextField: "output"}, 689},
		{"preference/hh_rlhf_harmless_base_test.jsonl", IngestOptions{TextField: "chosen"}, 2312},
		{"preference/oasst1_zh_rm.jsonl", IngestOptions{TextField: "instruction"}, 775},
		{"web-noisy/c4_demo.jsonl", IngestOptions{}, 300},
		{"pretrain-en/wiki_demo.txt", IngestOptions{}, 30},
		{"pretrain-en/tinyshakespeare.txt", IngestOptions{TextMode: "paragraph"}, -1},
		{"pretrain-zh/xiyouji.txt", IngestOptions{}, -1},
	} {
		t.Run(tc.path, func(t *testing.T) {
			src := sharedData(t, tc.path)
			st, err := Ingest(context.Background(), []string{src}, t.TempDir(), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if tc.rows >= 0 && st.Rows != tc.rows || st.Rows == 0 || st.Skipped != 0 {
				t.Fatalf("%+v, want %d rows", st, tc.rows)
			}
		})
	}
}

func TestIngestIdColumnTypes(t *testing.T) {
	_, dst, err := ingestString(t, "in.jsonl", `{"text":"x","id":12345678901234567890}`, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, rows := readRows(t, dst); rows[0]["id"] != "12345678901234567890" {
		t.Fatal(rows)
	}
	_ = array.NewStringBuilder
}

func TestIngestGzipAndHead(t *testing.T) {
	var buf strings.Builder
	zw := gzip.NewWriter(&buf)
	for i := 0; i < 100; i++ {
		fmt.Fprintf(zw, "{\"text\":\"doc %d\"}\n", i)
	}
	zw.Close()
	st, dst, err := ingestString(t, "in.jsonl.gz", buf.String(), IngestOptions{ShardRows: 30})
	if err != nil || st.Rows != 100 {
		t.Fatalf("%+v %v", st, err)
	}
	d, err := OpenDataset(dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int64{0, 5, 45, 1000} {
		rec, err := d.Head(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		want := min(n, 100)
		if rec.NumRows() != want || want > 0 && rec.Column(1).ValueStr(int(want-1)) != fmt.Sprintf("doc %d", want-1) {
			t.Fatalf("Head(%d): %d rows", n, rec.NumRows())
		}
		rec.Release()
	}
}

func TestIngestManyFiles(t *testing.T) {
	root := t.TempDir()
	var paths []string
	for i, dir := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(root, dir), 0o755)
		p := filepath.Join(root, dir, "part.jsonl")
		os.WriteFile(p, []byte(fmt.Sprintf("{\"text\":\"from %d\"}\n", i)), 0o644)
		paths = append(paths, p)
	}
	dst := filepath.Join(root, "out")
	var done, total int64
	st, err := Ingest(context.Background(), paths, dst, IngestOptions{Progress: func(d, t int64) { done, total = d, t }})
	if err != nil || st.Files != 2 || st.Rows != 2 {
		t.Fatalf("%+v %v", st, err)
	}
	if done != total || total == 0 {
		t.Fatalf("progress ended at %d/%d", done, total)
	}
	_, rows := readRows(t, dst)
	if rows[0]["id"] != "0-part.jsonl:1" || rows[1]["id"] != "1-part.jsonl:1" {
		t.Fatalf("ids %v", rows)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := filepath.Join(root, "big.jsonl")
	os.WriteFile(big, []byte(strings.Repeat("{\"text\":\"x\"}\n", 20000)), 0o644)
	if _, err := Ingest(ctx, []string{big}, filepath.Join(root, "out2"), IngestOptions{}); err != context.Canceled {
		t.Fatalf("cancelled ingest: %v", err)
	}
}
