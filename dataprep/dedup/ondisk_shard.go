package dedup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// A sharded RunOnDisk signs the parts of its input apart (SignPart, one
// task each, a job array on a cluster) and hands their directories to
// RunOnDisk (WithSignedParts), which takes their signatures and sorted
// key runs as its own and goes on with the buckets. Documents keep the
// ids a whole run gives them, so the decisions and the output bytes do
// not depend on the parts.

// partFile records what SignPart signed.
const partFile = "part.json"

type signedPart struct {
	First uint64 `json:"first"` // id of the part's first document
	Docs  uint64 `json:"docs"`
	Bytes int64  `json:"bytes"`
}

// PartInput is a part of RunOnDisk's input.
type PartInput interface {
	input
	// UnitRow is the input row of the first row of the batch Scan is
	// yielding: the part need not start where it was asked to.
	UnitRow() int64
	Rows() int64 // the part's rows, for progress
}

// startAt numbers the part's documents from its first row on.
type startAt struct {
	PartInput
	d    *diskDedup
	refs uint64
}

func (s startAt) Scan(ctx context.Context, fn func(rec arrow.RecordBatch) error) error {
	first := true
	return s.PartInput.Scan(ctx, func(rec arrow.RecordBatch) error {
		if first {
			s.d.refs, first = s.refs+uint64(s.UnitRow()), false
		}
		return fn(rec)
	})
}

// SignPart writes the signatures and the sorted exact and band key runs
// of in, a part of RunOnDisk's input, to dir. refs is the number of
// references (rows of the against dataset), numbered before the input.
// It reports progress as the first of RunOnDisk's two passes over the part.
func SignPart(ctx context.Context, in PartInput, cfg Config, dir string, refs uint64, sortBytes int, rep Reporter) error {
	ix, err := NewIndex(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d := &diskDedup{cfg: cfg, ix: ix, dir: dir, sortBytes: max(sortBytes, 1<<20)}
	if d.sigs, err = os.Create(filepath.Join(dir, "signatures")); err != nil {
		return err
	}
	defer d.sigs.Close()
	d.exact = newExtSorter(dir, "exact", 3, d.sortBytes/2)
	d.bands = newExtSorter(dir, "bands", 2, d.sortBytes/2)
	total := in.Rows()
	progress := func() { rep.Progress(int64(d.docs), 2*total, "docs") }
	if err := d.signScan(ctx, startAt{in, d, refs}, cfg.Field, false, progress); err != nil {
		return err
	}
	if err := d.exact.spill(); err != nil {
		return err
	}
	if err := d.bands.spill(); err != nil {
		return err
	}
	if err := d.sigs.Close(); err != nil {
		return err
	}
	b, err := json.Marshal(signedPart{First: d.refs, Docs: d.docs, Bytes: d.stats.Bytes})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, partFile), b, 0o644)
}

// WithSignedParts makes RunOnDisk take the input's signatures from the
// directories SignPart wrote, in input order, instead of signing it.
func WithSignedParts(dirs []string) RunOption {
	return func(o *runOptions) { o.signedParts = dirs }
}

// adopt appends the parts' signatures to d's and their key runs to d's
// sorters.
func (d *diskDedup) adopt(dirs []string) error {
	for _, dir := range dirs {
		var p signedPart
		b, err := os.ReadFile(filepath.Join(dir, partFile))
		if err != nil {
			return fmt.Errorf("dedup: signed part: %w", err)
		}
		if err := json.Unmarshal(b, &p); err != nil {
			return fmt.Errorf("dedup: signed part %s: %w", dir, err)
		}
		if p.Docs > 0 && p.First != d.refs+d.docs {
			return fmt.Errorf("dedup: signed part %s starts at document %d, want %d", dir, p.First, d.refs+d.docs)
		}
		if err := d.appendSignatures(filepath.Join(dir, "signatures"), p.Docs); err != nil {
			return err
		}
		for _, s := range []*extSorter{d.exact, d.bands} {
			runs, err := filepath.Glob(filepath.Join(dir, s.name+"-*.run"))
			if err != nil {
				return err
			}
			slices.Sort(runs)
			s.runs = append(s.runs, runs...)
		}
		d.docs += p.Docs
		d.stats.Docs += int64(p.Docs)
		d.stats.Bytes += p.Bytes
	}
	return nil
}

func (d *diskDedup) appendSignatures(path string, docs uint64) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("dedup: signed part: %w", err)
	}
	defer f.Close()
	n, err := io.Copy(d.sigs, f)
	if err != nil {
		return fmt.Errorf("dedup: signed part %s: %w", path, err)
	}
	if want := int64(docs) * 4 * int64(d.cfg.Permutations); n != want {
		return fmt.Errorf("dedup: signed part %s: %d bytes of signatures, want %d", path, n, want)
	}
	return nil
}
