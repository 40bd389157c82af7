package dedup

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/llmflow/llmflow/artifact"
)

// RunOnDisk is Run with the index in files under dir instead of memory,
// in phases as datatrove runs MinHash dedup: signatures, then buckets
// sorted on disk, then decisions, then the filter. It takes the same
// decisions as Run, so the output is byte-identical, while holding about
// 14 bytes per document plus sortBytes of sort buffers.
//
// The decisions follow Run exactly: a document is a duplicate of the
// earliest kept document (references first) it shares a band with at the
// threshold. Members of a group with equal exact keys after the first
// share the first one's fate, so only group heads enter the buckets.
// A bucket of k heads yields k(k-1)/2 candidate pairs, which bounds the
// disk used by the largest near-duplicate clusters.
func RunOnDisk(ctx context.Context, in *artifact.Dataset, out *artifact.DatasetWriter, cfg Config, rep Reporter, dir string, sortBytes int, opts ...RunOption) (Stats, error) {
	var o runOptions
	for _, opt := range opts {
		opt(&o)
	}
	ix, err := NewIndex(cfg) // signs only
	if err != nil {
		return Stats{}, err
	}
	d := &diskDedup{cfg: cfg, ix: ix, dir: dir, sortBytes: max(sortBytes, 1<<20)}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, err
	}
	defer d.close()
	if err := d.sign(ctx, in, o, rep); err != nil {
		return d.stats, err
	}
	if err := d.groupExact(); err != nil {
		return d.stats, err
	}
	if err := d.bucket(); err != nil {
		return d.stats, err
	}
	if err := d.decide(ctx); err != nil {
		return d.stats, err
	}
	return d.stats, d.filter(ctx, in, out, rep)
}

type diskDedup struct {
	cfg       Config
	ix        *Index
	dir       string
	sortBytes int

	sigs         *os.File // Permutations uint32 per document, by id
	exact, bands *extSorter
	followers    *extSorter // id<<32 | head id, for exact-group members after the first
	edges        *extSorter // j<<32 | i: i < j share a band
	refs, docs   uint64     // references take ids [0, refs), input documents the next docs
	follower     bitset
	dup          bitset // input documents removed
	stats        Stats
}

type bitset []uint64

func (b *bitset) set(i uint64) {
	for uint64(len(*b)) <= i/64 {
		*b = append(*b, 0)
	}
	(*b)[i/64] |= 1 << (i % 64)
}

func (b bitset) has(i uint64) bool { return i/64 < uint64(len(b)) && b[i/64]>>(i%64)&1 != 0 }

func (d *diskDedup) close() {
	if d.sigs != nil {
		d.sigs.Close()
	}
	os.RemoveAll(d.dir)
}

// sign writes every document's signature, exact key and band keys:
// references first, as Run adds them first.
func (d *diskDedup) sign(ctx context.Context, in *artifact.Dataset, o runOptions, rep Reporter) error {
	var err error
	if d.sigs, err = os.Create(filepath.Join(d.dir, "signatures")); err != nil {
		return err
	}
	d.exact = newExtSorter(d.dir, "exact", 3, d.sortBytes/2)
	d.bands = newExtSorter(d.dir, "bands", 2, d.sortBytes/2)
	scan := func(ds input, field string, ref bool, progress func()) error {
		return d.signScan(ctx, ds, field, ref, progress)
	}
	if o.against != nil {
		field := o.againstField
		if field == "" {
			field = d.cfg.Field
		}
		if err := scan(o.against, field, true, func() {}); err != nil {
			return err
		}
		d.stats.References = int64(d.refs)
	}
	if o.signedParts != nil {
		return d.adopt(o.signedParts)
	}
	total := in.Rows()
	return scan(in, d.cfg.Field, false, func() {
		if rep != nil {
			rep.Progress(int64(d.docs), 2*total, "docs") // signing is the first of two passes
		}
	})
}

// input is what the signature phase reads: a dataset or a part of one.
type input interface {
	Scan(ctx context.Context, fn func(rec arrow.RecordBatch) error) error
	Dir() string
}

// signScan signs the documents of ds, numbering them on from the ones
// before.
func (d *diskDedup) signScan(ctx context.Context, ds input, field string, ref bool, progress func()) error {
	var sigs []Signature
	var texts []string
	buf := make([]byte, 4*d.cfg.Permutations)
	return ds.Scan(ctx, func(rec arrow.RecordBatch) error {
		var err error
		if texts, err = textColumn(rec, field, texts[:0]); err != nil {
			return fmt.Errorf("dedup: dataset %s: %w", ds.Dir(), err)
		}
		sigs = growSigs(sigs, len(texts))
		d.ix.SignAll(texts, sigs, d.cfg.Workers)
		for i := range texts {
			if err := d.add(&sigs[i], buf); err != nil {
				return err
			}
			if ref {
				d.refs++
			} else {
				d.docs++
				d.stats.Docs++
				d.stats.Bytes += int64(sigs[i].bytes)
			}
		}
		progress()
		return ctx.Err()
	})
}

func (d *diskDedup) add(s *Signature, buf []byte) error {
	id := d.refs + d.docs
	if id >= math.MaxUint32 {
		return fmt.Errorf("dedup: more than %d documents", uint32(math.MaxUint32))
	}
	clear(buf)
	for k, v := range s.min {
		binary.LittleEndian.PutUint32(buf[4*k:], v)
	}
	if _, err := d.sigs.Write(buf); err != nil {
		return err
	}
	if err := d.exact.add(s.exact[0], s.exact[1], id); err != nil {
		return err
	}
	for _, key := range s.bands {
		if err := d.bands.add(key, id); err != nil {
			return err
		}
	}
	return nil
}

// groupExact finds the documents whose exact key an earlier one has.
func (d *diskDedup) groupExact() error {
	d.followers = newExtSorter(d.dir, "followers", 1, d.sortBytes/2)
	it, err := d.exact.sorted()
	if err != nil {
		return err
	}
	defer it.close()
	var k0, k1, head uint64
	first := true
	for rec := it.next(); rec != nil; rec = it.next() {
		if first || rec[0] != k0 || rec[1] != k1 {
			k0, k1, head, first = rec[0], rec[1], rec[2], false
			continue
		}
		d.follower.set(rec[2])
		if err := d.followers.add(rec[2]<<32 | head); err != nil {
			return err
		}
	}
	return it.err
}

// bucket pairs the group heads that share a band key.
func (d *diskDedup) bucket() error {
	d.edges = newExtSorter(d.dir, "edges", 1, d.sortBytes/2)
	it, err := d.bands.sorted()
	if err != nil {
		return err
	}
	defer it.close()
	var key uint64
	var bucket []uint64
	flush := func() error {
		for b, j := range bucket {
			for _, i := range bucket[:b] {
				if err := d.edges.add(j<<32 | i); err != nil {
					return err
				}
			}
		}
		bucket = bucket[:0]
		return nil
	}
	for rec := it.next(); rec != nil; rec = it.next() {
		if len(bucket) > 0 && rec[0] != key {
			if err := flush(); err != nil {
				return err
			}
		}
		key = rec[0]
		if !d.follower.has(rec[1]) {
			bucket = append(bucket, rec[1]) // ids ascend within a key
		}
	}
	if it.err != nil {
		return it.err
	}
	return flush()
}

// decide goes through the input in order as Run does, keeping for each
// document only what later decisions read.
func (d *diskDedup) decide(ctx context.Context) error {
	n := d.refs + d.docs
	of := make([]uint32, n)    // the document a removed one duplicates
	kind := make([]Kind, n)    // how it was found
	extra := make([]uint32, n) // duplicates found of each kept document or reference
	var kept bitset
	for i := range d.refs {
		kept.set(i)
	}
	fol, err := d.followers.sorted()
	if err != nil {
		return err
	}
	defer fol.close()
	ed, err := d.edges.sorted()
	if err != nil {
		return err
	}
	defer ed.close()
	nextFol, nextEdge := fol.next(), ed.next()
	sigJ := make([]uint32, d.cfg.Permutations)
	sigI := make([]uint32, d.cfg.Permutations)
	buf := make([]byte, 4*d.cfg.Permutations)
	thr := d.cfg.Threshold - 1e-9
	for j := d.refs; j < n; j++ {
		if j%65536 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		for nextFol != nil && nextFol[0]>>32 < j { // references' own groups
			nextFol = fol.next()
		}
		for nextEdge != nil && nextEdge[0]>>32 < j {
			nextEdge = ed.next()
		}
		best, k := uint64(0), KindNone
		switch {
		case nextFol != nil && nextFol[0]>>32 == j:
			h := nextFol[0] & math.MaxUint32
			if h < d.refs || kept.has(h) {
				best, k = h, KindExact
			} else {
				best, k = uint64(of[h]), kind[h]
			}
			nextFol = fol.next()
		default:
			haveJ, last := false, uint64(math.MaxUint64)
			for ; nextEdge != nil && nextEdge[0]>>32 == j; nextEdge = ed.next() {
				i := nextEdge[0] & math.MaxUint32
				if i == last { // the pair shares more than one band
					continue
				}
				last = i
				if k != KindNone || !(i < d.refs || kept.has(i)) {
					continue // the first candidate at the threshold is the earliest, references first
				}
				if !haveJ {
					if err := d.readSig(j, buf, sigJ); err != nil {
						return err
					}
					haveJ = true
				}
				if err := d.readSig(i, buf, sigI); err != nil {
					return err
				}
				if similarity(sigJ, sigI) >= thr {
					best, k = i, KindNear
				}
			}
		}
		if k == KindNone {
			kept.set(j)
			d.stats.Kept++
			continue
		}
		of[j], kind[j] = uint32(best), k
		d.dup.set(j - d.refs)
		d.count(best, k, extra)
	}
	if fol.err != nil {
		return fol.err
	}
	return ed.err
}

// count updates the counters as Index.AddSignature and decision do.
func (d *diskDedup) count(of uint64, k Kind, extra []uint32) {
	extra[of]++
	sz := int64(extra[of]) + 1
	d.stats.Removed++
	against := of < d.refs
	switch {
	case against && k == KindExact:
		d.stats.AgainstExact++
	case against:
		d.stats.AgainstNear++
	case k == KindExact:
		d.stats.Exact++
	default:
		d.stats.Near++
	}
	if against {
		if sz == 2 {
			d.stats.ContaminatedReferences++
		}
		return
	}
	if sz == 2 {
		d.stats.Clusters++
	}
	d.stats.LargestCluster = max(d.stats.LargestCluster, sz)
}

func (d *diskDedup) readSig(id uint64, buf []byte, dst []uint32) error {
	if _, err := d.sigs.ReadAt(buf, int64(id)*int64(len(buf))); err != nil {
		return fmt.Errorf("dedup: signature %d: %w", id, err)
	}
	for k := range dst {
		dst[k] = binary.LittleEndian.Uint32(buf[4*k:])
	}
	return nil
}

// filter writes the kept rows of every input batch, as Run does.
func (d *diskDedup) filter(ctx context.Context, in *artifact.Dataset, out *artifact.DatasetWriter, rep Reporter) error {
	total := in.Rows()
	var row uint64
	var removed int64
	var texts []string
	keep := []bool{}
	return in.Scan(ctx, func(rec arrow.RecordBatch) error {
		var err error
		if texts, err = textColumn(rec, d.cfg.Field, texts[:0]); err != nil {
			return fmt.Errorf("dedup: dataset %s: %w", in.Dir(), err)
		}
		keep = keep[:0]
		for _, t := range texts {
			dup := d.dup.has(row)
			keep = append(keep, !dup)
			if dup {
				d.stats.RemovedBytes += int64(len(t))
				removed++
			}
			row++
		}
		if err := writeKept(out, rec, keep); err != nil {
			return err
		}
		if rep != nil {
			rep.Progress(total+int64(row), 2*total, "docs")
			rep.Metric("removed", int64(row), float64(removed))
		}
		return nil
	})
}
