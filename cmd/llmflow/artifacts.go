package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/cmd/llmflow/runview"
)

var (
	artifactsStore string
	artifactsRows  int
	artifactsDB    string
	artifactsJSON  bool
)

var artifactsCmd = &cobra.Command{Use: "artifacts", Short: "Inspect artifacts in the store"}

var artifactsShowCmd = &cobra.Command{
	Use: "show DIGEST|NODE",
	Long: `DIGEST is an artifact digest or a unique prefix of one; NODE is a node
address (stage.tiny) or node output (tokenize.web.train) of the newest run in
which that node succeeded.`,
	Short: "Show an artifact: kind, files, schema, rows and sample rows",
	Args:  exactArgs(1),
	RunE: func(cmd *cobra.Command, args []string) error {
		store, err := artifact.OpenStore(artifactsStore)
		if err != nil {
			return err
		}
		digest, err := resolveArtifact(cmd, store, artifactsDB, args[0])
		if err != nil {
			return err
		}
		m, err := store.Manifest(digest)
		if err != nil {
			return fmt.Errorf("%w: %v", errNotFound, err)
		}
		w := cmd.OutOrStdout()
		if artifactsJSON {
			return writeArtifactJSON(cmd.Context(), w, store, m)
		}
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
	artifactsCmd.PersistentFlags().StringVar(&artifactsDB, "db", defaultDB, "run database used to resolve a node address")
	artifactsShowCmd.Flags().BoolVar(&artifactsJSON, "json", false, "print JSON: the manifest, path and sample rows")
	artifactsShowCmd.Flags().IntVar(&artifactsRows, "rows", 3, "sample rows to print for datasets")
	artifactsCmd.AddCommand(artifactsShowCmd)
	rootCmd.AddCommand(artifactsCmd)
}

// sampleRows prints the first n rows of a dataset, one column per line.
func sampleRows(ctx context.Context, w io.Writer, dir string, n int) error {
	s, err := runview.ReadSample(ctx, dir, n, 100)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Sample rows (%d of %d):\n", len(s.Rows), s.Total)
	for i, row := range s.Rows {
		fmt.Fprintf(w, "  [%d]\n", i)
		for c, name := range s.Columns {
			fmt.Fprintf(w, "    %s: %s\n", name, row[c])
		}
	}
	return nil
}

func writeArtifactJSON(ctx context.Context, w io.Writer, store *artifact.Store, m *artifact.Manifest) error {
	out := struct {
		*artifact.Manifest
		Path   string          `json:"path"`
		Sample *runview.Sample `json:"sample,omitempty"`
	}{Manifest: m, Path: store.Path(m.Digest)}
	if strings.HasPrefix(m.Kind, "dataset/") {
		s, err := runview.ReadSample(ctx, out.Path, artifactsRows, 1000)
		if err != nil {
			return err
		}
		out.Sample = s
	}
	return writeJSON(w, out)
}
