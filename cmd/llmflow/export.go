package main

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/artifact"
	"github.com/llmflow/llmflow/pipeline/runstore"
)

var exportFlags struct{ store, db string }

var exportCmd = &cobra.Command{
	Use:   "export NODE|DIGEST DIR",
	Short: "Copy an artifact out of the store into DIR",
	Long: `NODE is a node address (stage.tiny) or a node output (tokenize.web.train): the
output of the newest run in which that node succeeded. DIGEST is an artifact
digest or a unique prefix of one. DIR must not exist or be empty; the
artifact's files are copied into it (not its manifest), so DIR is an ordinary
dataset or checkpoint directory that other tools read.`,
	Args: exactArgs(2),
	RunE: func(cmd *cobra.Command, args []string) error {
		store, err := artifact.OpenStore(exportFlags.store)
		if err != nil {
			return err
		}
		digest, err := resolveArtifact(cmd, store, exportFlags.db, args[0])
		if err != nil {
			return err
		}
		if entries, err := os.ReadDir(args[1]); err == nil && len(entries) > 0 {
			return fmt.Errorf("%w: %s is not empty; export into a new or empty directory", errUsage, args[1])
		}
		m, err := store.Export(digest, args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "exported %s (%s, %d files, %s) to %s\n", digest, m.Kind, len(m.Files), formatBytes(m.Bytes), args[1])
		return nil
	},
}

func init() {
	exportCmd.Flags().StringVar(&exportFlags.store, "store", defaultStore, "artifact store directory")
	exportCmd.Flags().StringVar(&exportFlags.db, "db", defaultDB, "run database used to resolve a node address")
	rootCmd.AddCommand(exportCmd)
}

// nodeOutputRef is a node address with an output name: tokenize.web.train.
var nodeOutputRef = regexp.MustCompile(`^([a-z_]+\.[A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)$`)

// resolveArtifact turns a node address, node output or digest (prefix)
// into the digest of a committed artifact.
func resolveArtifact(cmd *cobra.Command, store *artifact.Store, dbPath, ref string) (string, error) {
	addr, output := ref, ""
	if m := nodeOutputRef.FindStringSubmatch(ref); m != nil {
		addr, output = m[1], m[2]
	}
	if !nodeAddr.MatchString(addr) {
		d, err := store.ResolveDigest(ref)
		if err != nil {
			return "", fmt.Errorf("%w (%w)", err, errNotFound)
		}
		return d, nil
	}
	db, err := runstore.OpenReadOnly(dbPath)
	if err != nil {
		return "", fmt.Errorf("%s: the run database to look the node up in cannot be read: %w", ref, err)
	}
	defer db.Close()
	outs, runID, err := db.LatestOutputs(cmd.Context(), addr)
	if err != nil {
		return "", err
	}
	names := slices.Sorted(maps.Keys(outs))
	switch {
	case output != "" && outs[output] == "":
		return "", fmt.Errorf("%s has no output %q in run %s; its outputs: %s: %w", addr, output, runID, strings.Join(names, ", "), errNotFound)
	case output == "" && len(outs) > 1:
		return "", fmt.Errorf("%w: %s has several outputs; name one: %s", errUsage, addr, dotted(addr, names))
	case output == "":
		output = names[0]
	}
	d := outs[output]
	if !store.Has(d) {
		return "", fmt.Errorf("%s.%s of run %s (%s) is not in store %s: %w", addr, output, runID, d, store.Dir(), errNotFound)
	}
	return d, nil
}

func dotted(addr string, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = addr + "." + n
	}
	return strings.Join(out, ", ")
}
