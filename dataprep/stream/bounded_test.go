package stream

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// lazySource builds each batch on demand with its own allocator, so the
// allocator's live bytes show how many input batches Run holds at once.
type lazySource struct {
	mem     *memory.CheckedAllocator
	schema  *arrow.Schema
	batches int
	rows    int
}

func (s *lazySource) Schema() *arrow.Schema { return s.schema }

func (s *lazySource) Scan(ctx context.Context, fn func(arrow.RecordBatch) error) error {
	for b := 0; b < s.batches; b++ {
		bld := array.NewRecordBuilder(s.mem, s.schema)
		for i := 0; i < s.rows; i++ {
			bld.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("doc %d with some padding text to give it weight", b*s.rows+i))
		}
		rec := bld.NewRecordBatch()
		bld.Release()
		err := fn(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

type peakSink struct {
	mem  *memory.CheckedAllocator
	peak int
	rows int64
}

func (p *peakSink) Write(rec arrow.RecordBatch) error {
	p.peak = max(p.peak, p.mem.CurrentAlloc())
	p.rows += rec.NumRows()
	return nil
}

func TestRunBoundedMemory(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	schema := arrow.NewSchema([]arrow.Field{{Name: "text", Type: arrow.BinaryTypes.String}}, nil)
	src := &lazySource{mem: mem, schema: schema, batches: 200, rows: 500}
	// Size of one input batch.
	one := &lazySource{mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), schema: schema, batches: 1, rows: 500}
	var batchBytes int
	one.Scan(context.Background(), func(arrow.RecordBatch) error { batchBytes = one.mem.CurrentAlloc(); return nil })

	sink := &peakSink{mem: mem}
	const workers = 2
	_, err := Run(context.Background(), src, sink, Options{Workers: workers, BatchRows: 100}, func(int) MapperFunc {
		return func(text string, r *Result) {}
	})
	if err != nil {
		t.Fatal(err)
	}
	if sink.rows != 200*500 {
		t.Fatalf("%d rows written", sink.rows)
	}
	// At most 2 units per worker are in flight, plus the batch being read.
	if limit := (2*workers + 2) * batchBytes; sink.peak > limit {
		t.Fatalf("peak input memory %d bytes, more than %d (%d batches of %d)", sink.peak, limit, 2*workers+2, batchBytes)
	}
	mem.AssertSize(t, 0)
}
