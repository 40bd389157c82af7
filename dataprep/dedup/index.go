package dedup

// Kind says how a duplicate was found.
type Kind uint8

// Kinds of Decision.
const (
	KindNone  Kind = iota // not a duplicate
	KindExact             // same normalised text
	KindNear              // MinHash similarity at or above the threshold
)

// String returns "none", "exact" or "near".
func (k Kind) String() string {
	switch k {
	case KindExact:
		return "exact"
	case KindNear:
		return "near"
	}
	return "none"
}

// Decision is the verdict on one document added to an Index.
type Decision struct {
	// Dup is true when the document is to be removed.
	Dup bool
	// Kind says how the duplicate was found.
	Kind Kind
	// Against is true when the document duplicates a reference document.
	Against bool
	// Of is the input position (0-based, counting Add calls) of the kept
	// document it duplicates, or the reference position when Against.
	Of int
	// Similarity is the estimated Jaccard similarity (1 for exact).
	Similarity float64
}

// Signature is what the index needs to know of one document. Index.Sign fills
// it; a Signature may be reused for the next document.
type Signature struct {
	exact  [2]uint64
	min    []uint32 // nil for a document without tokens
	bands  []uint64
	bytes  int
	toks   []uint64
	shings []uint64
}

// Bytes returns the length of the signed text.
func (s *Signature) Bytes() int { return s.bytes }

// Index decides, document by document in the order they are added, whether a
// document duplicates an earlier kept one or a reference document. Sign is
// safe for concurrent use; Add, AddSignature, AddReference and Stats are not
// and must be called from one goroutine.
type Index struct {
	cfg  Config
	near bool
	h    *hasher

	exact map[[2]uint64]int32 // exact key -> slot
	heads *table              // band key -> entry+1 of the newest entry
	next  []uint32            // entry -> previous entry+1 in the same bucket
	slotE []int32             // entry -> slot

	// Per slot (a kept document or a reference document).
	sigs  []uint32 // Permutations values per slot with a signature
	sigOf []int32  // slot -> offset/Permutations in sigs, -1 without
	pos   []int32  // slot -> input position, or -(ref position)-1
	size  []uint32

	docs, refs int
	stats      Stats
	scratch    []Signature // AddAll's signatures, reused between calls
}

// NewIndex returns an empty index for cfg, which must validate.
func NewIndex(cfg Config) (*Index, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ix := &Index{cfg: cfg, near: cfg.Method == MethodMinHash, exact: map[[2]uint64]int32{}}
	if ix.near {
		ix.h = newHasher(cfg.Permutations, cfg.Rows, cfg.Seed)
		ix.heads = newTable()
	}
	return ix, nil
}

// Reserve sizes the index for about docs more documents (input and
// reference), so that adding them does not regrow its tables.
func (ix *Index) Reserve(docs int) {
	if docs <= 0 {
		return
	}
	n := len(ix.pos) + docs
	ix.pos = grow(ix.pos, n)
	ix.size = grow(ix.size, n)
	ix.sigOf = grow(ix.sigOf, n)
	if ix.near {
		ix.sigs = grow(ix.sigs, n*ix.cfg.Permutations)
		ix.next = grow(ix.next, n*ix.cfg.Bands)
		ix.slotE = grow(ix.slotE, n*ix.cfg.Bands)
		ix.heads.reserve(n * ix.cfg.Bands)
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s
	}
	out := make([]T, len(s), n)
	copy(out, s)
	return out
}

// Sign computes the signature of text into sig. It only reads the index and
// may run on many goroutines at once, each with its own Signature.
func (ix *Index) Sign(text string, sig *Signature) {
	sig.bytes = len(text)
	chars := ix.cfg.Shingles == ShinglesChar
	var toks []uint64
	var unsp int
	if chars {
		toks, unsp = tokenizeChars(text, sig.toks[:0])
	} else {
		toks, unsp = tokenize(text, sig.toks[:0])
	}
	sig.toks = toks
	sig.exact = exactKey(text, toks)
	sig.bands = sig.bands[:0]
	if !ix.near || len(toks) == 0 {
		sig.min = sig.min[:0]
		return
	}
	k := ix.cfg.ShingleSize
	if chars {
		k = ix.cfg.CharShingleSize
	}
	if 2*unsp > len(toks) {
		k = ix.cfg.CJKShingleSize
	}
	sig.shings = shingles(toks, k, sig.shings[:0])
	if cap(sig.min) < ix.cfg.Permutations {
		sig.min = make([]uint32, ix.cfg.Permutations)
	}
	sig.min = sig.min[:ix.cfg.Permutations]
	ix.h.minhash(sig.shings, sig.min)
	sig.bands = ix.h.bands(sig.min, ix.cfg.Bands, sig.bands)
}

// exactKey hashes the token stream twice with independent mixes (128 bits, so
// collisions stay negligible at billions of documents). A text without
// tokens is keyed by its raw bytes in a separate domain.
func exactKey(text string, toks []uint64) [2]uint64 {
	if len(toks) == 0 {
		h := uint64(fnvOffset)
		for i := 0; i < len(text); i++ {
			h = (h ^ uint64(text[i])) * fnvPrime
		}
		return [2]uint64{mix64(h), mix64(h ^ uint64(len(text)) ^ 0xdeadbeefcafe)}
	}
	e1, e2 := uint64(0x243f6a8885a308d3), uint64(0x13198a2e03707344)
	for _, t := range toks {
		e1 = (e1^t)*0x9e3779b97f4a7c15 + 1
		e1 ^= e1 >> 31
		e2 = (e2+t)*0xc2b2ae3d27d4eb4f ^ (e2 >> 27)
	}
	n := uint64(len(toks))
	return [2]uint64{mix64(e1 ^ n), mix64(e2+n*0x165667b19e3779f9) | 1}
}

// Add signs text and decides on it; see AddSignature.
func (ix *Index) Add(text string) Decision {
	var s Signature
	ix.Sign(text, &s)
	return ix.AddSignature(&s)
}

// AddSignature decides whether the next document of the input, with
// signature s, duplicates a reference document or an earlier kept document.
// A kept document joins the index; a duplicate does not.
func (ix *Index) AddSignature(s *Signature) Decision {
	p := ix.docs
	ix.docs++
	ix.stats.Docs++
	ix.stats.Bytes += int64(s.bytes)
	d := ix.find(s)
	if !d.Dup {
		ix.insert(s, int32(p))
		ix.stats.Kept++
		return d
	}
	ix.stats.Removed++
	ix.stats.RemovedBytes += int64(s.bytes)
	switch {
	case d.Against && d.Kind == KindExact:
		ix.stats.AgainstExact++
	case d.Against:
		ix.stats.AgainstNear++
	case d.Kind == KindExact:
		ix.stats.Exact++
	default:
		ix.stats.Near++
	}
	return d
}

// AddReference signs text and adds it to the reference set.
func (ix *Index) AddReference(text string) {
	var s Signature
	ix.Sign(text, &s)
	ix.AddReferenceSignature(&s)
}

// AddReferenceSignature adds a document of the reference set: later input
// documents that duplicate it are removed as contamination. References are
// best added before the input; duplicates among references are kept apart.
func (ix *Index) AddReferenceSignature(s *Signature) {
	ix.stats.References++
	ix.insert(s, int32(-ix.refs-1))
	ix.refs++
}

func (ix *Index) find(s *Signature) Decision {
	if slot, ok := ix.exact[s.exact]; ok {
		return ix.decision(slot, KindExact, 1)
	}
	if len(s.min) == 0 {
		return Decision{Of: -1}
	}
	// Among the candidates that pass the threshold prefer a reference, then
	// the earliest slot: both are independent of the order buckets are read.
	best, bestSim := int32(-1), 0.0
	thr := ix.cfg.Threshold - 1e-9
	for _, key := range s.bands {
		for e := ix.heads.get(key); e != 0; e = ix.next[e-1] {
			slot := ix.slotE[e-1]
			off := ix.sigOf[slot]
			if off < 0 || (best >= 0 && !ix.better(slot, best)) {
				continue
			}
			n := len(s.min)
			sim := similarity(s.min, ix.sigs[int(off)*n:int(off+1)*n])
			if sim >= thr {
				best, bestSim = slot, sim
			}
		}
	}
	if best < 0 {
		return Decision{Of: -1}
	}
	return ix.decision(best, KindNear, bestSim)
}

// better orders candidate slots: references first, then earlier slots.
func (ix *Index) better(a, b int32) bool {
	ra, rb := ix.pos[a] < 0, ix.pos[b] < 0
	if ra != rb {
		return ra
	}
	return a < b
}

func (ix *Index) decision(slot int32, k Kind, sim float64) Decision {
	ix.size[slot]++
	sz := int64(ix.size[slot])
	p := ix.pos[slot]
	if p < 0 {
		if sz == 2 {
			ix.stats.ContaminatedReferences++
		}
		return Decision{Dup: true, Kind: k, Against: true, Of: int(-p - 1), Similarity: sim}
	}
	if sz == 2 {
		ix.stats.Clusters++
	}
	ix.stats.LargestCluster = max(ix.stats.LargestCluster, sz)
	return Decision{Dup: true, Kind: k, Of: int(p), Similarity: sim}
}

func (ix *Index) insert(s *Signature, p int32) {
	// Slots are int32: 2^31 signatures would need far more memory than a
	// single index can hold, so the bound is never the limit in practice.
	slot := int32(len(ix.pos))
	ix.pos = append(ix.pos, p)
	ix.size = append(ix.size, 1)
	if _, ok := ix.exact[s.exact]; !ok {
		ix.exact[s.exact] = slot
	}
	if len(s.min) == 0 || !ix.near {
		ix.sigOf = append(ix.sigOf, -1)
		return
	}
	ix.sigOf = append(ix.sigOf, int32(len(ix.sigs)/len(s.min)))
	ix.sigs = append(ix.sigs, s.min...)
	for _, key := range s.bands {
		ix.next = append(ix.next, ix.heads.get(key))
		ix.slotE = append(ix.slotE, slot)
		ix.heads.put(key, uint32(len(ix.slotE)))
	}
}

// Stats returns the counters so far.
func (ix *Index) Stats() Stats { return ix.stats }
