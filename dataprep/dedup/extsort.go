package dedup

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
)

// extSorter sorts records of w uint64 words, compared word by word, with
// a bounded buffer: full buffers are sorted and written to run files,
// which a heap merges. Memory is the buffer, whatever the record count.
type extSorter struct {
	w, limit int
	buf      []uint64
	dir      string
	name     string
	runs     []string
}

func newExtSorter(dir, name string, w, bufBytes int) *extSorter {
	limit := max(bufBytes/(8*w), 1024)
	return &extSorter{w: w, limit: limit, dir: dir, name: name}
}

// add appends one record (len(rec) == w).
func (s *extSorter) add(rec ...uint64) error {
	s.buf = append(s.buf, rec...)
	if len(s.buf) >= s.limit*s.w {
		return s.spill()
	}
	return nil
}

// records sorts a buffer of w-word records in place.
type records struct {
	buf []uint64
	w   int
}

func (r records) Len() int { return len(r.buf) / r.w }
func (r records) Less(i, j int) bool {
	return slices.Compare(r.buf[i*r.w:(i+1)*r.w], r.buf[j*r.w:(j+1)*r.w]) < 0
}
func (r records) Swap(i, j int) {
	for k := range r.w {
		r.buf[i*r.w+k], r.buf[j*r.w+k] = r.buf[j*r.w+k], r.buf[i*r.w+k]
	}
}

func (s *extSorter) spill() error {
	if len(s.buf) == 0 {
		return nil
	}
	if s.w == 1 {
		slices.Sort(s.buf)
	} else {
		sort.Sort(records{s.buf, s.w}) // in place: the buffer is the memory bound
	}
	path := filepath.Join(s.dir, fmt.Sprintf("%s-%04d.run", s.name, len(s.runs)))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var b [8]byte
	for _, v := range s.buf {
		binary.LittleEndian.PutUint64(b[:], v)
		bw.Write(b[:])
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	s.runs = append(s.runs, path)
	s.buf = s.buf[:0]
	return nil
}

// sorted returns an iterator over every record in order; the sorter must
// not be added to afterwards.
func (s *extSorter) sorted() (*runMerger, error) {
	if err := s.spill(); err != nil {
		return nil, err
	}
	s.buf = nil
	m := &runMerger{w: s.w}
	for _, path := range s.runs {
		f, err := os.Open(path)
		if err != nil {
			m.close()
			return nil, err
		}
		r := &runReader{f: f, br: bufio.NewReaderSize(f, 256<<10), rec: make([]uint64, s.w)}
		m.files = append(m.files, f)
		ok, err := r.next()
		if err != nil {
			m.close()
			return nil, err
		}
		if ok {
			m.h = append(m.h, r)
		}
	}
	heap.Init(&m.h)
	return m, nil
}

type runReader struct {
	f   *os.File
	br  *bufio.Reader
	rec []uint64
}

func (r *runReader) next() (bool, error) {
	var b [8]byte
	for i := range r.rec {
		if _, err := io.ReadFull(r.br, b[:]); err != nil {
			if errors.Is(err, io.EOF) && i == 0 {
				return false, nil
			}
			return false, fmt.Errorf("run file %s: %w", r.f.Name(), err)
		}
		r.rec[i] = binary.LittleEndian.Uint64(b[:])
	}
	return true, nil
}

type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return slices.Compare(h[i].rec, h[j].rec) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// runMerger yields the records of sorted runs in order.
type runMerger struct {
	w     int
	h     runHeap
	files []*os.File
	cur   []uint64
	err   error
}

// next returns the next record (valid until the following call), or nil
// at the end or on an error (see err).
func (m *runMerger) next() []uint64 {
	if len(m.h) == 0 {
		return nil
	}
	top := m.h[0]
	m.cur = append(m.cur[:0], top.rec...)
	ok, err := top.next()
	switch {
	case err != nil:
		m.err, m.h = err, nil
	case ok:
		heap.Fix(&m.h, 0)
	default:
		heap.Pop(&m.h)
	}
	return m.cur
}

func (m *runMerger) close() {
	for _, f := range m.files {
		f.Close()
		os.Remove(f.Name())
	}
	m.files = nil
}
