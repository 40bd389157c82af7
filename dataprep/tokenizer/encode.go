package tokenizer

import (
	"bytes"
	"math"
	"unsafe"
)

// Encoder cache bounds: a pre-token longer than maxCachedPiece is rare and not
// worth keeping; the cache is dropped whole when it reaches maxCacheEntries.
const (
	maxCachedPiece  = 64
	maxCacheEntries = 1 << 17
	linearMergeMax  = 48 // longer words use the heap merge
	noRank          = math.MaxUint32
)

type span struct{ off, n uint32 }

// Encoder turns text into ids with a per-pre-token cache. It is not safe for
// concurrent use; create one per goroutine with Tokenizer.NewEncoder.
type Encoder struct {
	t     *Tokenizer
	cache map[string]span
	arena []int32
	syms  []int32
	ranks []uint32
	prev  []int32
	next  []int32
	heap  []uint64
}

// NewEncoder returns an Encoder for t.
func (t *Tokenizer) NewEncoder() *Encoder {
	return &Encoder{t: t, cache: make(map[string]span, 1024)}
}

// Encode appends the ids of text to dst and returns it. Added-token text is
// treated as ordinary text, so documents cannot inject control tokens.
func (e *Encoder) Encode(dst []int32, text []byte) []int32 {
	pre := e.t.pre
	for i := 0; i < len(text); {
		j := pre.next(text, i)
		dst = e.encodePiece(dst, text[i:j])
		i = j
	}
	return dst
}

// EncodeString is Encode for a string, without copying it.
func (e *Encoder) EncodeString(dst []int32, text string) []int32 {
	// Encode only reads its input, so viewing the string's bytes is safe.
	return e.Encode(dst, unsafe.Slice(unsafe.StringData(text), len(text)))
}

// EncodeWithSpecial is Encode, except that the content of added tokens found
// in text becomes their ids (longest match first), as the Hugging Face
// tokenizers library does.
func (e *Encoder) EncodeWithSpecial(dst []int32, text []byte) []int32 {
	for len(text) > 0 {
		at, id, n := e.t.findAdded(text)
		if at < 0 {
			return e.Encode(dst, text)
		}
		dst = e.Encode(dst, text[:at])
		dst = append(dst, id)
		text = text[at+n:]
	}
	return dst
}

// findAdded returns the position, id and length of the first added token in
// text, preferring the longest at equal positions; at is -1 when none occurs.
func (t *Tokenizer) findAdded(text []byte) (at int, id int32, n int) {
	at = -1
	for _, a := range t.added {
		i := bytes.Index(text, []byte(a.Content))
		if i < 0 {
			continue
		}
		if at < 0 || i < at || (i == at && len(a.Content) > n) {
			at, id, n = i, a.ID, len(a.Content)
		}
	}
	return at, id, n
}

func (e *Encoder) encodePiece(dst []int32, piece []byte) []int32 {
	if len(piece) == 1 {
		return append(dst, e.t.byteID[piece[0]])
	}
	if len(piece) > maxCachedPiece {
		return append(dst, e.bpe(piece)...)
	}
	if s, ok := e.cache[string(piece)]; ok {
		return append(dst, e.arena[s.off:s.off+s.n]...)
	}
	ids := e.bpe(piece)
	if len(e.cache) >= maxCacheEntries {
		clear(e.cache)
		e.arena = e.arena[:0]
	}
	e.cache[string(piece)] = span{uint32(len(e.arena)), uint32(len(ids))}
	e.arena = append(e.arena, ids...)
	return append(dst, ids...)
}

func (e *Encoder) rank(a, b int32) (rank uint32, id int32) {
	v, ok := e.t.mergeMap.get(pairKey(a, b))
	if !ok {
		return noRank, -1
	}
	return uint32(v >> 32), int32(uint32(v))
}

// bpe applies the merges to one pre-token; the result lives in e.syms.
func (e *Encoder) bpe(piece []byte) []int32 {
	syms := e.syms[:0]
	for _, c := range piece {
		syms = append(syms, e.t.byteID[c])
	}
	e.syms = syms
	if len(syms) > linearMergeMax {
		return e.bpeHeap()
	}
	// Short words: keep each adjacent pair's rank and merge the lowest,
	// leftmost first; only the two neighbouring ranks change per merge.
	ranks := e.ranks[:0]
	for i := 0; i+1 < len(syms); i++ {
		r, _ := e.rank(syms[i], syms[i+1])
		ranks = append(ranks, r)
	}
	for len(syms) > 1 {
		best, bi := uint32(noRank), -1
		for i, r := range ranks {
			if r < best {
				best, bi = r, i
			}
		}
		if bi < 0 {
			break
		}
		_, id := e.rank(syms[bi], syms[bi+1])
		syms[bi] = id
		syms = append(syms[:bi+1], syms[bi+2:]...)
		ranks = append(ranks[:bi], ranks[bi+1:]...)
		if bi > 0 {
			ranks[bi-1], _ = e.rank(syms[bi-1], syms[bi])
		}
		if bi < len(ranks) {
			ranks[bi], _ = e.rank(syms[bi], syms[bi+1])
		}
	}
	e.ranks = ranks
	e.syms = syms
	return syms
}

// bpeHeap merges long words in O(n log n) with a linked list and a min-heap
// of rank<<32|position; the position breaks ties leftmost first.
func (e *Encoder) bpeHeap() []int32 {
	syms := e.syms
	n := len(syms)
	prev, next := e.prev[:0], e.next[:0]
	for i := 0; i < n; i++ {
		prev = append(prev, int32(i-1))
		next = append(next, int32(i+1))
	}
	next[n-1] = -1
	h := e.heap[:0]
	for i := 0; i+1 < n; i++ {
		if r, _ := e.rank(syms[i], syms[i+1]); r != noRank {
			h = heapPush(h, uint64(r)<<32|uint64(i))
		}
	}
	for len(h) > 0 {
		var top uint64
		top, h = heapPop(h)
		r, pos := uint32(top>>32), int32(uint32(top))
		nx := next[pos]
		if syms[pos] < 0 || nx < 0 {
			continue
		}
		cr, id := e.rank(syms[pos], syms[nx])
		if cr != r {
			continue // stale: one side merged since this entry was pushed
		}
		syms[pos] = id
		syms[nx] = -1
		nn := next[nx]
		next[pos] = nn
		if nn >= 0 {
			prev[nn] = pos
			if r2, _ := e.rank(id, syms[nn]); r2 != noRank {
				h = heapPush(h, uint64(r2)<<32|uint64(pos))
			}
		}
		if p := prev[pos]; p >= 0 {
			if r2, _ := e.rank(syms[p], id); r2 != noRank {
				h = heapPush(h, uint64(r2)<<32|uint64(p))
			}
		}
	}
	out := syms[:0]
	for i := 0; i < n; i++ {
		if syms[i] >= 0 {
			out = append(out, syms[i])
		}
	}
	e.prev, e.next, e.heap, e.syms = prev, next, h, syms
	return out
}

func heapPush(h []uint64, v uint64) []uint64 {
	h = append(h, v)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p] <= v {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = v
	return h
}

func heapPop(h []uint64) (uint64, []uint64) {
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	n := len(h)
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if c+1 < n && h[c+1] < h[c] {
			c++
		}
		if last <= h[c] {
			break
		}
		h[i] = h[c]
		i = c
	}
	if n > 0 {
		h[i] = last
	}
	return top, h
}
