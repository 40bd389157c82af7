package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zclconf/go-cty/cty"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/plugins/sdk"
)

// Version is what the stage reports; bump it when its output changes, so
// run records tell the implementations apart. A variable, so a build can
// stamp it: go build -ldflags "-X main.Version=0.2.0".
var Version = "0.1.0"

// batchRows is the size of the record batches written.
const batchRows = 4096

// ShuffleSplit implements sdk.Stage.
type ShuffleSplit struct{}

type config struct {
	ValFraction float64 `cty:"val_fraction"`
	ShardRows   int64   `cty:"shard_rows"`
}

// Describe tells llmflow the config schema, inputs and outputs; the
// pipeline's config block is checked against it before anything runs.
func (ShuffleSplit) Describe(context.Context) (*sdk.Description, error) {
	return &sdk.Description{
		Name:    "shuffle_split",
		Version: Version,
		Doc:     "Shuffles a text dataset with the node's seed and splits it into train and val.",
		Config: []sdk.Attribute{
			{Name: "val_fraction", Type: cty.Number, Default: cty.NumberFloatVal(0.1),
				Doc: "Fraction of rows (rounded) that go to val, in [0, 1)."},
			{Name: "shard_rows", Type: cty.Number, Default: cty.NumberIntVal(artifact.DefaultShardRows),
				Doc: "Rows per output shard."},
		},
		Inputs: []sdk.Port{{Name: "data", Kind: artifact.KindText, Doc: "The dataset to split."}},
		Outputs: []sdk.Port{
			{Name: "train", Kind: artifact.KindText, Doc: "The shuffled rows not in val."},
			{Name: "val", Kind: artifact.KindText, Doc: "The first val_fraction of the shuffled rows."},
		},
	}, nil
}

// Validate checks what the schema cannot express. Values may be unknown at
// plan time (computed from other nodes); only known ones are checked.
func (ShuffleSplit) Validate(_ context.Context, cfg cty.Value) sdk.Diagnostics {
	var diags sdk.Diagnostics
	if v := cfg.GetAttr("val_fraction"); v.IsKnown() && !v.IsNull() {
		if f, _ := v.AsBigFloat().Float64(); f < 0 || f >= 1 {
			diags = append(diags, sdk.Errorf("val_fraction", "Invalid val_fraction",
				"val_fraction must be at least 0 and below 1, got %g.", f))
		}
	}
	if v := cfg.GetAttr("shard_rows"); v.IsKnown() && !v.IsNull() {
		if n, _ := v.AsBigFloat().Int64(); n <= 0 {
			diags = append(diags, sdk.Errorf("shard_rows", "Invalid shard_rows", "shard_rows must be positive."))
		}
	}
	return diags
}

// Run reads the input, permutes row indices with a generator seeded by the
// node's seed (same seed, same split, on any machine), and writes both
// outputs under req.OutputDir. Bulk data never crosses the plugin protocol:
// only the two directory paths are reported.
func (ShuffleSplit) Run(ctx context.Context, req *sdk.RunRequest, ev sdk.Events) error {
	var c config
	if err := sdk.DecodeConfig(req.Config, &c); err != nil {
		return err
	}
	in, ok := req.Inputs["data"]
	if !ok {
		return fmt.Errorf("input \"data\" is missing")
	}
	ds, err := artifact.OpenDataset(in.Path)
	if err != nil {
		return err
	}
	tbl, err := readColumns(ctx, ds)
	if err != nil {
		return err
	}
	n := tbl.rows()
	perm := rand.New(rand.NewPCG(uint64(req.Seed), 0x5eed5)).Perm(n)
	nVal := int(math.Round(c.ValFraction * float64(n)))
	ev.Log(fmt.Sprintf("splitting %d rows: %d train, %d val", n, n-nVal, nVal))

	for _, part := range []struct {
		name string
		rows []int
	}{{"val", perm[:nVal]}, {"train", perm[nVal:]}} {
		dir := filepath.Join(req.OutputDir, part.name)
		if err := writeRows(ctx, dir, ds.Schema(), tbl, part.rows, c.ShardRows); err != nil {
			return fmt.Errorf("write %s: %w", part.name, err)
		}
		ev.Metric(0, "rows_"+part.name, float64(len(part.rows)))
		ev.Output(part.name, dir, artifact.KindText)
	}
	ev.Progress(int64(n), int64(n), "rows")
	return nil
}

// columns holds a dataset's string columns in memory. An example keeps it
// simple; a stage for corpora larger than memory would shuffle row indices
// and gather rows shard by shard instead.
type columns struct {
	vals  [][]string
	valid [][]bool
}

func (t *columns) rows() int { return len(t.vals[0]) }

func readColumns(ctx context.Context, ds *artifact.Dataset) (*columns, error) {
	s := ds.Schema()
	t := &columns{vals: make([][]string, s.NumFields()), valid: make([][]bool, s.NumFields())}
	for _, f := range s.Fields() {
		if f.Type.ID() != arrow.STRING {
			return nil, fmt.Errorf("column %q has type %s; shuffle_split passes through utf8 columns only", f.Name, f.Type)
		}
	}
	err := ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		for c := range t.vals {
			col := rec.Column(c).(*array.String)
			for r := 0; r < col.Len(); r++ {
				t.vals[c] = append(t.vals[c], col.Value(r))
				t.valid[c] = append(t.valid[c], col.IsValid(r))
			}
		}
		return nil
	})
	return t, err
}

func writeRows(ctx context.Context, dir string, schema *arrow.Schema, t *columns, rows []int, shardRows int64) error {
	w, err := artifact.NewDatasetWriter(dir, schema, artifact.WithShardRows(shardRows))
	if err != nil {
		return err
	}
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	flush := func() error {
		rec := rb.NewRecordBatch()
		defer rec.Release()
		return w.Write(rec)
	}
	for i, r := range rows {
		for c := range t.vals {
			b := rb.Field(c).(*array.StringBuilder)
			if t.valid[c][r] {
				b.Append(t.vals[c][r])
			} else {
				b.AppendNull()
			}
		}
		if (i+1)%batchRows == 0 {
			if err := ctx.Err(); err != nil {
				w.Abort()
				return err
			}
			if err := flush(); err != nil {
				w.Abort()
				return err
			}
		}
	}
	if len(rows)%batchRows != 0 {
		if err := flush(); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}
