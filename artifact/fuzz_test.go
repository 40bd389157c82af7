package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FuzzJSONL checks that JSONL ingest never panics, that the line scanner
// accepts exactly the lines encoding/json accepts as objects, and that
// decoded text matches encoding/json's wherever both succeed.
func FuzzJSONL(f *testing.F) {
	for _, s := range []string{
		`{"text":"hello","id":"a"}`,
		`{"text":"a\"b\\c\u00e9\ud83d\ude00\n","n":1.5e3,"b":true,"o":{"x":[1,null]}}` + "\n" + `{"text":"x"}`,
		`{"text":"\ud800"}`,
		"{\"text\":\"\xff\"}",
		`{"text":1}`,
		`[1,2]`,
		`{"text":"x",}`,
		`{"text":"x","text":"y"}`,
		`{"te\u0078t":"escaped key","id":12345678901234567890}`,
		"\xef\xbb\xbf{\"text\":\"bom\"}\r\n\n  \n",
		`{"a":-0.0e-0,"b":[[[[{}]]]],"text":""}`,
		`{"text":"x"} trailing`,
		`{"text":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, line := range bytes.Split(data, []byte{'\n'}) {
			checkScannerAgainstStdlib(t, line)
		}
		st, err := ingestJSONLMemory(data, func(rec arrow.RecordBatch) error {
			if err := validateBatch(rec, rec.Schema()); err != nil {
				t.Fatalf("ingest built an invalid batch: %v", err)
			}
			texts := rec.Column(1).(*array.String)
			for i := 0; i < texts.Len(); i++ {
				if !utf8.ValidString(texts.Value(i)) {
					t.Fatalf("invalid UTF-8 passed on: %q", texts.Value(i))
				}
			}
			return nil
		})
		if err != nil && !bytes.Contains([]byte(err.Error()), []byte("distinct fields")) {
			// Only too many distinct fields may fail a skip-mode ingest.
			t.Fatalf("skip-mode ingest failed: %v", err)
		}
		if err == nil && st.Rows+st.Skipped+st.Blank == 0 && len(bytes.TrimSpace(data)) > 0 && !bytes.Equal(bytes.TrimSpace(data), utf8BOM) {
			t.Fatalf("non-empty input produced no rows, skips or blanks: %+v", st)
		}
	})
}

// ingestJSONLMemory runs both JSONL passes over data in skip mode, handing
// batches to sink instead of writing shards.
func ingestJSONLMemory(data []byte, sink func(arrow.RecordBatch) error) (IngestStats, error) {
	opt := IngestOptions{OnError: "skip"}
	opt.normalize()
	in := &ingester{ctx: context.Background(), opt: opt, sink: sink}
	st := &jsonlState{index: map[string]int{}}
	if err := in.jsonlStream(bytes.NewReader(data), "in.jsonl", "in.jsonl", st, true); err != nil {
		return in.stats, err
	}
	fields := in.jsonlColumns(st)
	in.b, _ = NewTextBuilder(TextSchema(fields...))
	defer in.b.Release()
	if err := in.jsonlStream(bytes.NewReader(data), "in.jsonl", "in.jsonl", st, false); err != nil {
		return in.stats, err
	}
	return in.stats, in.flush()
}

func checkScannerAgainstStdlib(t *testing.T, line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if !utf8.Valid(line) || isBlank(line) || bytes.Count(line, []byte("["))+bytes.Count(line, []byte("{")) > MaxJSONDepth-10 {
		return
	}
	var sc objScanner
	ours := sc.parse(line) == nil
	trimmed := bytes.TrimLeft(line, " \t\r\n")
	theirs := json.Valid(line) && len(trimmed) > 0 && trimmed[0] == '{'
	if ours != theirs {
		t.Fatalf("scanner accepts=%v, encoding/json accepts=%v for %q", ours, theirs, line)
	}
	if !ours {
		return
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	for i := range sc.fields {
		f := &sc.fields[i]
		if f.kind != jsonString || f.keyEsc {
			continue
		}
		got, err := decodeString(nil, f)
		if err != nil {
			continue // lone surrogates: encoding/json replaces them, we refuse
		}
		var want string
		json.Unmarshal(f.val, &want)
		if string(got) != want {
			t.Fatalf("decoded %q, encoding/json %q (raw %s)", got, want, f.val)
		}
	}
}

// FuzzOpenDataset feeds arbitrary bytes to the shard reader that
// OpenDataset and Scan use (verification, arrow-go's IPC reader, batch
// validation): it must return an error or valid batches, never panic or
// allocate without bound. The bytes stay in memory because per-input file
// I/O stalls the coverage-guided engine; TestOpenDatasetCorruptShards
// covers the same inputs through the directory API.
func FuzzOpenDataset(f *testing.F) {
	for _, seed := range fuzzShardSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, blocks, err := newIPCFileReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		defer r.Close()
		// Rows inside a batch, as a shard task reads them.
		for j, b := range blocks {
			if b.rows < 2 {
				continue
			}
			rec, err := readBatchRows(bytes.NewReader(data), r, b, j, 1, b.rows-1, r.Schema(), rowsReadAlone(r, r.Schema()))
			if err != nil {
				continue
			}
			for _, col := range rec.Columns() {
				touchAll(col)
			}
			rec.Release()
		}
		err = scanShard(context.Background(), r, r.Schema(), "part-00000.arrow", 0, func(rec arrow.RecordBatch) error {
			for _, col := range rec.Columns() {
				touchAll(col)
			}
			return nil
		})
		if err != nil && !strings.Contains(err.Error(), "part-00000.arrow") {
			t.Fatalf("error does not name the shard: %v", err)
		}
	})
}

// fuzzShardSeeds returns valid shards plus truncated and bit-flipped copies.
func fuzzShardSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, seed := range datasetSeeds(tb) {
		flipped := bytes.Clone(seed)
		flipped[len(flipped)/3] ^= 0x5a
		out = append(out, seed, seed[:len(seed)/2], flipped)
	}
	return append(out, []byte("ARROW1\x00\x00"))
}

// TestOpenDatasetCorruptShards runs mutated shards through OpenDataset and
// Scan on disk: every failure is an error naming the shard.
func TestOpenDatasetCorruptShards(t *testing.T) {
	seeds := fuzzShardSeeds(t)
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	n := 2000
	if testing.Short() {
		n = 200
	}
	for it := 0; it < n; it++ {
		s := bytes.Clone(seeds[rng.IntN(len(seeds))])
		for k := 0; k < 1+rng.IntN(4) && len(s) > 0; k++ {
			s[rng.IntN(len(s))] = byte(rng.IntN(256))
		}
		if err := os.WriteFile(filepath.Join(dir, shardName(0)), s, 0o644); err != nil {
			t.Fatal(err)
		}
		d, err := OpenDataset(dir)
		if err == nil {
			err = d.ScanShardRows(context.Background(), 0, 1, d.Rows()-1, 3, func(_ int64, rec arrow.RecordBatch) error {
				for _, c := range rec.Columns() {
					touchAll(c)
				}
				return nil
			})
		}
		if err == nil {
			err = d.Scan(context.Background(), func(rec arrow.RecordBatch) error {
				for _, c := range rec.Columns() {
					touchAll(c)
				}
				return nil
			})
		}
		if err != nil && !strings.Contains(err.Error(), shardName(0)) {
			t.Fatalf("error does not name the shard: %v", err)
		}
	}
}

// touchAll reads every value the way consumers do, to prove validation
// leaves nothing that panics on access.
func touchAll(a arrow.Array) {
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			continue
		}
		switch c := a.(type) {
		case *array.String:
			_ = c.Value(i)
		case *array.Binary:
			_ = c.Value(i)
		case *array.List:
			s, e := c.ValueOffsets(i)
			touchAll(array.NewSlice(c.ListValues(), s, e))
		case *array.Int32:
			_ = c.Value(i)
		case *array.Int64:
			_ = c.Value(i)
		case *array.Uint8:
			_ = c.Value(i)
		default:
			_ = a.ValueStr(i)
		}
	}
}

// datasetSeeds returns valid shards of a text and a tokens dataset.
func datasetSeeds(tb testing.TB) [][]byte {
	dir := tb.(interface{ TempDir() string }).TempDir()
	text := filepath.Join(dir, "text")
	writeTextDataset(tb, text, 20, 100)
	tokens := filepath.Join(dir, "tokens")
	w, err := NewDatasetWriter(tokens, TokensSchema(true, false))
	if err != nil {
		tb.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, TokensSchema(true, false))
	ids := b.Field(0).(*array.ListBuilder)
	mask := b.Field(1).(*array.ListBuilder)
	for i := 0; i < 5; i++ {
		ids.Append(true)
		mask.Append(true)
		for j := 0; j <= i; j++ {
			ids.ValueBuilder().(*array.Int32Builder).Append(int32(i * j))
			mask.ValueBuilder().(*array.Uint8Builder).Append(uint8(j % 2))
		}
	}
	rec := b.NewRecordBatch()
	if err := w.Write(rec); err != nil {
		tb.Fatal(err)
	}
	w.Close()
	var out [][]byte
	for _, d := range []string{text, tokens} {
		data, err := os.ReadFile(filepath.Join(d, shardName(0)))
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// TestMakeFuzzBoundsMinimising: `make fuzz` must bound the minimising of new
// inputs, or FuzzOpenDataset spends its fuzz time there.
func TestMakeFuzzBoundsMinimising(t *testing.T) {
	mk, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	_, recipe, ok := strings.Cut(string(mk), "\nfuzz:")
	if !ok {
		t.Fatal("Makefile has no fuzz target")
	}
	recipe, _, _ = strings.Cut(recipe, "\n\n")
	if !strings.Contains(recipe, "-fuzz ") || !strings.Contains(recipe, "-fuzzminimizetime ") {
		t.Errorf("the fuzz recipe does not pass -fuzzminimizetime:%s", recipe)
	}
}
