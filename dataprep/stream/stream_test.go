package stream

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// memSource serves prepared batches.
type memSource struct {
	schema *arrow.Schema
	recs   []arrow.RecordBatch
}

func (s *memSource) Schema() *arrow.Schema { return s.schema }
func (s *memSource) Scan(ctx context.Context, fn func(arrow.RecordBatch) error) error {
	for _, r := range s.recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

// memSink keeps the rows it receives as strings "id|text|extra...".
type memSink struct{ rows []string }

func (s *memSink) Write(rec arrow.RecordBatch) error {
	for i := 0; i < int(rec.NumRows()); i++ {
		var parts []string
		for j := 0; j < int(rec.NumCols()); j++ {
			c := rec.Column(j)
			if c.IsNull(i) {
				parts = append(parts, "<null>")
				continue
			}
			parts = append(parts, c.ValueStr(i))
		}
		s.rows = append(s.rows, strings.Join(parts, "|"))
	}
	return nil
}

func makeSource(t testing.TB, n, perBatch int) *memSource {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "tag", Type: arrow.BinaryTypes.String},
	}, nil)
	src := &memSource{schema: schema}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := 0; i < n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%17 == 5 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("doc %d", i))
		}
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("t%d", i%3))
		if (i+1)%perBatch == 0 || i == n-1 {
			src.recs = append(src.recs, b.NewRecordBatch())
		}
	}
	return src
}

// counter drops every row whose number is divisible by 3 and upper-cases
// the rest; it counts what it saw.
type counter struct{ seen, dropped int }

func (c *counter) Map(text string, r *Result) {
	c.seen++
	var n int
	fmt.Sscanf(text, "doc %d", &n)
	if n%3 == 0 {
		c.dropped++
		r.Drop, r.Reason = true, "div3"
		return
	}
	r.Text = strings.ToUpper(text)
	r.Extra[0] = fmt.Sprint(n % 2)
}

func TestRunOrderAndDeterminism(t *testing.T) {
	var want []string
	for _, workers := range []int{1, 2, 3, 8} {
		for _, batchRows := range []int{1, 7, 1000} {
			src := makeSource(t, 500, 64)
			dst, rej := &memSink{}, &memSink{}
			ms, err := Run(context.Background(), src, dst, Options{Workers: workers, BatchRows: batchRows, Extra: []string{"parity", "tag"}, Rejects: rej},
				func(int) *counter { return &counter{} })
			if err != nil {
				t.Fatal(err)
			}
			seen, dropped := 0, 0
			for _, m := range ms {
				seen += m.seen
				dropped += m.dropped
			}
			if len(dst.rows)+len(rej.rows) != 500 || len(rej.rows) != dropped {
				t.Fatalf("workers=%d: %d kept + %d rejected, mapper dropped %d", workers, len(dst.rows), len(rej.rows), dropped)
			}
			got := append(append([]string{}, dst.rows...), rej.rows...)
			if want == nil {
				want = got
				if dst.rows[0] != "1|DOC 1||1" || rej.rows[0] != "0|doc 0|t0|div3" {
					t.Fatalf("unexpected rows %q / %q", dst.rows[0], rej.rows[0])
				}
				if !strings.Contains(strings.Join(dst.rows, "\n"), "5|<null>|<null>|<null>") {
					t.Fatal("null text row not passed through")
				}
				continue
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("workers=%d batch=%d: output differs", workers, batchRows)
			}
		}
	}
}

func TestRunErrors(t *testing.T) {
	src := makeSource(t, 10, 5)
	if _, err := Run(context.Background(), src, &memSink{}, Options{Field: "nope"}, func(int) *counter { return &counter{} }); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("missing column error = %v", err)
	}
	if _, err := Run(context.Background(), src, &memSink{}, Options{Field: "id"}, func(int) *counter { return &counter{} }); err == nil {
		t.Fatal("want an error for a non-string column")
	}
	panicky := MapperFunc(func(string, *Result) { panic("boom") })
	if _, err := Run(context.Background(), src, &memSink{}, Options{}, func(int) MapperFunc { return panicky }); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("panic error = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := makeSource(t, 5000, 100)
	if _, err := Run(ctx, big, &memSink{}, Options{Extra: []string{"parity"}}, func(int) *counter { return &counter{} }); err == nil {
		t.Fatal("want an error on a cancelled context")
	}
}

type failSink struct{ n int }

func (f *failSink) Write(arrow.RecordBatch) error {
	f.n++
	if f.n == 3 {
		return fmt.Errorf("disk full")
	}
	return nil
}

func TestRunSinkError(t *testing.T) {
	src := makeSource(t, 5000, 50)
	_, err := Run(context.Background(), src, &failSink{}, Options{BatchRows: 10, Extra: []string{"parity"}}, func(int) *counter { return &counter{} })
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunAllocatorBalanced(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src := makeSource(t, 300, 64)
	_, err := Run(context.Background(), src, &memSink{}, Options{Workers: 2, BatchRows: 16, Extra: []string{"parity"}, Rejects: &memSink{}, Mem: mem},
		func(int) *counter { return &counter{} })
	if err != nil {
		t.Fatal(err)
	}
}
