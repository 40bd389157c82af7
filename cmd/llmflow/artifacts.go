package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
)

var (
	artifactsStore string
	artifactsRows  int
)

var artifactsCmd = &cobra.Command{Use: "artifacts", Short: "Inspect artifacts in the store"}

var artifactsShowCmd = &cobra.Command{
	Use:   "show DIGEST",
	Short: "Show an artifact: kind, files, schema, rows and sample rows",
	Args:  exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		store, err := artifact.OpenStore(artifactsStore)
		if err != nil {
			return err
		}
		m, err := store.Manifest(args[0])
		if err != nil {
			return fmt.Errorf("%w: %v", errNotFound, err)
		}
		w := cmd.OutOrStdout()
		fmt.Fprintf(w, "Digest: %s\nKind:   %s\nRows:   %d\nBytes:  %d\nPath:   %s\n", m.Digest, m.Kind, m.Rows, m.Bytes, store.Path(m.Digest))
		if m.Schema != "" {
			fmt.Fprintf(w, "Schema: %s\n", m.Schema)
		}
		fmt.Fprintln(w, "Files:")
		for _, f := range m.Files {
			fmt.Fprintf(w, "  %s  %d  %s\n", f.SHA256, f.Size, f.Name)
		}
		if strings.HasPrefix(m.Kind, "dataset/") {
			return sampleRows(cmd.Context(), w, store.Path(m.Digest), artifactsRows)
		}
		return nil
	},
}

func init() {
	artifactsCmd.PersistentFlags().StringVar(&artifactsStore, "store", defaultStore, "artifact store directory")
	artifactsShowCmd.Flags().IntVar(&artifactsRows, "rows", 3, "sample rows to print for datasets")
	artifactsCmd.AddCommand(artifactsShowCmd)
	rootCmd.AddCommand(artifactsCmd)
}

var errEnough = errors.New("enough rows")

// sampleRows prints the first n rows of a dataset, one column per line.
func sampleRows(ctx context.Context, w io.Writer, dir string, n int) error {
	ds, err := artifact.OpenDataset(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Sample rows (%d of %d):\n", min(int64(n), ds.Rows()), ds.Rows())
	shown := 0
	err = ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		for row := 0; row < int(rec.NumRows()) && shown < n; row++ {
			fmt.Fprintf(w, "  [%d]\n", shown)
			for c, f := range rec.Schema().Fields() {
				fmt.Fprintf(w, "    %s: %s\n", f.Name, truncate(cellString(rec.Column(c), row), 100))
			}
			shown++
		}
		if shown >= n {
			return errEnough
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

func cellString(col arrow.Array, row int) string {
	if col.IsNull(row) {
		return "null"
	}
	if s, ok := col.(*array.String); ok {
		return fmt.Sprintf("%q", s.Value(row))
	}
	return col.ValueStr(row)
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
