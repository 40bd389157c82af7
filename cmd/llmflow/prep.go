package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/gohcl"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/spf13/cobra"

	"github.com/llmflow/llmflow/dataprep/clean"
	"github.com/llmflow/llmflow/dataprep/dedup"
	"github.com/llmflow/llmflow/dataprep/pii"
	"github.com/llmflow/llmflow/dataprep/stream"
	"github.com/llmflow/llmflow/pipeline"
)

// prepFlags are the flags of every prep subcommand.
type prepFlags struct {
	in, out, config, field, rejects string
	workers                         int
}

var prepCmd = &cobra.Command{
	Use:   "prep",
	Short: "Run one dataprep node (clean, dedup, pii) on a file, outside a pipeline",
	Long: `Run one dataprep node standalone, with the same code as the pipeline node.

The format comes from the extension: .jsonl/.ndjson/.json in gives JSONL out
(every other key and the line order kept, untouched lines byte for byte);
a .arrow file or a dataset directory in gives Arrow out (a .arrow file or a
dataset directory, by the --out name). --config reads the node's attributes
from an HCL file (the same attributes as the pipeline block); --field and
--workers override it.`,
}

func init() {
	for _, sub := range []struct{ name, short string }{
		{"clean", "Normalise text and drop low-quality documents (Gopher, C4, FineWeb rules)"},
		{"dedup", "Remove exact and near-duplicate documents (MinHash LSH)"},
		{"pii", "Replace personal information (emails, phones, IDs, secrets...)"},
	} {
		var f prepFlags
		name := sub.name
		c := &cobra.Command{
			Use:   name + " --in IN --out OUT",
			Short: sub.short,
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
				defer stop()
				return runPrep(ctx, cmd, name, f)
			},
		}
		c.Flags().StringVar(&f.in, "in", "", "input: .jsonl file, .arrow file or dataset directory (required)")
		c.Flags().StringVar(&f.out, "out", "", "output, same format family as --in (required)")
		c.Flags().StringVar(&f.config, "config", "", "HCL file with the node's attributes")
		c.Flags().StringVar(&f.field, "field", "", "text field or column (default \"text\")")
		c.Flags().IntVar(&f.workers, "workers", 0, "parallel workers (default: all cores)")
		if name == "clean" {
			c.Flags().StringVar(&f.rejects, "rejects", "", "also write dropped documents here, with a \"reason\" field")
		}
		prepCmd.AddCommand(c)
	}
	rootCmd.AddCommand(prepCmd)
}

// decodeConfigFile fills cfg (a pointer to a Config with hcl tags) from an
// HCL file of attributes. Diagnostics name file, line and attribute.
func decodeConfigFile(path string, cfg any) error {
	if path == "" {
		return nil
	}
	p := hclparse.NewParser()
	f, diags := p.ParseHCLFile(path)
	if !diags.HasErrors() {
		diags = append(diags, gohcl.DecodeBody(f.Body, nil, cfg)...)
	}
	if diags.HasErrors() {
		wr := hcl.NewDiagnosticTextWriter(os.Stderr, p.Files(), 0, false)
		_ = wr.WriteDiagnostics(diags)
		return fmt.Errorf("%w: %s: %s", errInvalid, path, diags.Errs()[0])
	}
	return nil
}

// runPrep decodes the node config and dispatches on the input format.
// configure fills a node's configuration from --config, then lets --field
// and --workers override the file.
func (f prepFlags) configure(cfg any, field *string, workers *int) error {
	if err := decodeConfigFile(f.config, cfg); err != nil {
		return err
	}
	if f.field != "" {
		*field = f.field
	}
	if f.workers > 0 {
		*workers = f.workers
	}
	return nil
}

func runPrep(ctx context.Context, cmd *cobra.Command, node string, f prepFlags) error {
	if f.in == "" || f.out == "" {
		return fmt.Errorf("%w: prep %s needs --in and --out", errUsage, node)
	}
	inFmt, err := prepFormat(f.in, true)
	if err != nil {
		return err
	}
	outFmt, err := prepFormat(f.out, false)
	if err != nil {
		return err
	}
	if (inFmt == fmtJSONL) != (outFmt == fmtJSONL) {
		return fmt.Errorf("%w: --in %s is %s but --out %s is %s; prep keeps the format (convert with a dataset block)", errUsage, f.in, inFmt, f.out, outFmt)
	}
	if f.rejects != "" {
		if rf, err := prepFormat(f.rejects, false); err != nil {
			return err
		} else if (rf == fmtJSONL) != (inFmt == fmtJSONL) {
			return fmt.Errorf("%w: --rejects %s must have the format of --in", errUsage, f.rejects)
		}
	}
	start := time.Now()
	var metrics map[string]float64
	var inBytes int64
	switch node {
	case "clean":
		cfg := clean.DefaultConfig()
		if err := f.configure(&cfg, &cfg.Field, &cfg.Workers); err != nil {
			return err
		}
		var st clean.Stats
		st, err = prepClean(ctx, f, inFmt, outFmt, cfg)
		metrics, inBytes = st.Metrics(), st.BytesIn
		if warning, _ := cfg.CheckDrops(st); err == nil && warning != "" {
			fmt.Fprintf(cmd.ErrOrStderr(), "Warning: clean %s\n", warning)
		}
	case "dedup":
		cfg := dedup.DefaultConfig()
		if err := f.configure(&cfg, &cfg.Field, &cfg.Workers); err != nil {
			return err
		}
		var st dedup.Stats
		st, err = prepDedup(ctx, f, inFmt, outFmt, cfg)
		metrics, inBytes = st.Metrics(), st.Bytes
	case "pii":
		cfg := pii.DefaultConfig()
		if err := f.configure(&cfg, &cfg.Field, &cfg.Workers); err != nil {
			return err
		}
		var st pii.Stats
		st, err = prepPII(ctx, f, inFmt, outFmt, cfg)
		metrics, inBytes = st.Metrics(), st.Bytes
	}
	if err != nil {
		if ctx.Err() != nil {
			// Interrupted: the temporary outputs are already removed.
			return fmt.Errorf("prep %s: %w", node, pipeline.ErrInterrupted)
		}
		return fmt.Errorf("prep %s: %w", node, err)
	}
	printPrepMetrics(cmd.OutOrStdout(), metrics, inBytes, time.Since(start))
	return nil
}

// printPrepMetrics prints the node's metrics, one "name value" per line in
// name order, then the throughput.
func printPrepMetrics(w io.Writer, m map[string]float64, inBytes int64, took time.Duration) {
	names := make([]string, 0, len(m))
	for k, v := range m {
		if v != 0 {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(w, "%-40s %v\n", k, m[k])
	}
	fmt.Fprintf(w, "%-40s %.1f MB/s (%s)\n", "throughput", float64(inBytes)/1e6/max(took.Seconds(), 1e-9), took.Round(time.Millisecond))
}

// prepClean runs the clean node.
func prepClean(ctx context.Context, f prepFlags, inFmt, outFmt string, cfg clean.Config) (clean.Stats, error) {
	if err := cfg.Validate(); err != nil {
		return clean.Stats{}, err
	}
	if inFmt == fmtJSONL {
		opt := stream.JSONLOptions{Options: stream.Options{Field: cfg.Field, Workers: cfg.Workers}}
		if cfg.LanguageColumn != "" {
			opt.Extra = []string{cfg.LanguageColumn}
		}
		var st clean.Stats
		err := withJSONL(f.in, f.out, f.rejects, func(r io.Reader, w, rej io.Writer) error {
			opt.Name, opt.Rejects = f.in, rej
			ms, err := stream.RunJSONL(ctx, r, w, opt, func(int) *clean.Mapper {
				m, _ := clean.NewMapper(cfg)
				return m
			})
			for _, m := range ms {
				st.Add(m.C.Stats())
			}
			if err != nil {
				return err
			}
			_, err = cfg.CheckDrops(st) // an error discards the output
			return err
		})
		return st, err
	}
	var st clean.Stats
	err := withArrow(f.in, f.out, f.rejects, func(s *arrow.Schema) *arrow.Schema { return clean.OutputSchema(s, cfg) }, clean.RejectsSchema, func(a *arrowIO) error {
		var opts []clean.RunOption
		if a.rejects != nil {
			opts = append(opts, clean.WithRejects(a.rejects))
		}
		var err error
		if st, err = clean.Run(ctx, a.in, a.out, cfg, nil, opts...); err != nil {
			return err
		}
		_, err = cfg.CheckDrops(st) // an error discards the output
		return err
	})
	return st, err
}

// prepPII runs the pii node.
func prepPII(ctx context.Context, f prepFlags, inFmt, outFmt string, cfg pii.Config) (pii.Stats, error) {
	if inFmt == fmtJSONL {
		p, err := pii.New(cfg)
		if err != nil {
			return pii.Stats{}, err
		}
		var st pii.Stats
		err = withJSONL(f.in, f.out, "", func(r io.Reader, w, _ io.Writer) error {
			opt := stream.JSONLOptions{Options: stream.Options{Field: cfg.Field, Workers: cfg.Workers}, Name: f.in}
			ms, err := stream.RunJSONL(ctx, r, w, opt, func(int) *pii.Mapper { return p.NewMapper() })
			for _, m := range ms {
				st.Add(m.Stats())
			}
			return err
		})
		return st, err
	}
	var st pii.Stats
	err := withArrow(f.in, f.out, "", sameSchema, nil, func(a *arrowIO) error {
		var err error
		st, err = pii.Run(ctx, a.in, a.out, cfg, nil)
		return err
	})
	return st, err
}

// dedupMapper decides documents in input order on one worker: which copy
// is kept depends on order, so JSONL dedup is sequential.
type dedupMapper struct{ ix *dedup.Index }

func (m *dedupMapper) Map(text string, r *stream.Result) {
	if d := m.ix.Add(text); d.Dup {
		r.Drop, r.Reason = true, "duplicate_"+d.Kind.String()
	}
}

// prepDedup runs the dedup node.
func prepDedup(ctx context.Context, f prepFlags, inFmt, outFmt string, cfg dedup.Config) (dedup.Stats, error) {
	if inFmt == fmtJSONL {
		ix, err := dedup.NewIndex(cfg)
		if err != nil {
			return dedup.Stats{}, err
		}
		err = withJSONL(f.in, f.out, "", func(r io.Reader, w, _ io.Writer) error {
			opt := stream.JSONLOptions{Options: stream.Options{Field: cfg.Field, Workers: 1}, Name: f.in}
			_, err := stream.RunJSONL(ctx, r, w, opt, func(int) *dedupMapper { return &dedupMapper{ix} })
			return err
		})
		return ix.Stats(), err
	}
	var st dedup.Stats
	err := withArrow(f.in, f.out, "", sameSchema, nil, func(a *arrowIO) error {
		var err error
		st, err = dedup.Run(ctx, a.in, a.out, cfg, nil)
		return err
	})
	return st, err
}
