package artifact

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestWriteDatasetMatchesWrite checks that datasets appended by
// WriteDataset give, file for file, the bytes that writing their batches
// gives, whether or not shard boundaries cut the copied batches.
func TestWriteDatasetMatchesWrite(t *testing.T) {
	md := arrow.NewMetadata([]string{"source"}, []string{"test"})
	schemas := map[string]*arrow.Schema{
		"text": TextSchema(),
		"mixed": arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.BinaryTypes.String},
			{Name: "text", Type: arrow.BinaryTypes.LargeString, Nullable: true},
			{Name: "ids", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32)},
		}, &md),
	}
	// Batches per part; an empty list is a part without rows.
	parts := [][]int{{5, 1024, 3}, {}, {700}, {1, 1, 2000, 9}, {0, 40}}
	ctx := context.Background()
	for name, schema := range schemas {
		for _, shardRows := range []int64{math.MaxInt64, 1000, 64, 3000} {
			for _, mode := range []string{"copy", "decode", "turns"} {
				decode, turns := mode == "decode", mode == "turns"
				t.Run(fmt.Sprintf("%s/%d/%s", name, shardRows, mode), func(t *testing.T) {
					dir := t.TempDir()
					whole, err := NewDatasetWriter(filepath.Join(dir, "whole"), schema, WithShardRows(shardRows))
					if err != nil {
						t.Fatal(err)
					}
					opts := []WriterOption{WithShardRows(shardRows), WithFileHashes()}
					if turns {
						// Parts in turn written and copied, as a sharded node's
						// tasks that write into the merged output themselves.
						opts = append(opts, WithCopyLayout())
					}
					merged, err := NewDatasetWriter(filepath.Join(dir, "merged"), schema, opts...)
					if err != nil {
						t.Fatal(err)
					}
					// As when arrow-go's footers cannot be matched.
					merged.noFrame = decode
					for i, sizes := range parts {
						// One shard per part, as the parts of a sharded node: a
						// part cut into shards would cut batches the whole keeps.
						pw, err := NewDatasetWriter(filepath.Join(dir, fmt.Sprint("part", i)), schema, WithShardRows(math.MaxInt64))
						if err != nil {
							t.Fatal(err)
						}
						for _, rec := range copyBatches(t, schema, sizes) {
							if err := whole.Write(rec); err != nil {
								t.Fatal(err)
							}
							w := pw
							if turns && i%2 == 0 {
								w = merged
							}
							if err := w.Write(rec); err != nil {
								t.Fatal(err)
							}
							if merged.w != nil && turns {
								t.Fatal("a writer with the copy layout used arrow-go's")
							}
							rec.Release()
						}
						if err := pw.Close(); err != nil {
							t.Fatal(err)
						}
						part, err := OpenDataset(pw.Dir())
						if err != nil {
							t.Fatal(err)
						}
						if err := merged.WriteDataset(ctx, part); err != nil {
							t.Fatal(err)
						}
					}
					// Write after WriteDataset goes on in the copied shard.
					for _, rec := range copyBatches(t, schema, []int{10, 1100}) {
						if err := whole.Write(rec); err != nil {
							t.Fatal(err)
						}
						if err := merged.Write(rec); err != nil {
							t.Fatal(err)
						}
						rec.Release()
					}
					if err := whole.Close(); err != nil {
						t.Fatal(err)
					}
					if err := merged.Close(); err != nil {
						t.Fatal(err)
					}
					if (merged.frame == nil) != decode {
						t.Fatalf("batches copied: %v, want %v", merged.frame != nil, !decode)
					}
					sameDirs(t, whole.Dir(), merged.Dir())
					_, files, err := DigestDir("text", merged.Dir())
					if err != nil {
						t.Fatal(err)
					}
					got := merged.Files()
					sort.Slice(got, func(i, j int) bool { return got[i].Name < got[j].Name })
					if fmt.Sprint(got) != fmt.Sprint(files) {
						t.Errorf("Files() = %v, hashed %v", got, files)
					}
				})
			}
		}
	}
}

// sameDirs fails unless a and b hold the same files with the same bytes.
func sameDirs(t *testing.T, a, b string) {
	t.Helper()
	ents, err := os.ReadDir(a)
	if err != nil {
		t.Fatal(err)
	}
	other, err := os.ReadDir(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(other) {
		t.Fatalf("%d files, %d", len(ents), len(other))
	}
	for _, e := range ents {
		x, err := os.ReadFile(filepath.Join(a, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs: %d bytes, %d", e.Name(), len(x), len(y))
		}
	}
}
