package dedup

// table maps 64-bit band keys to 32-bit values with open addressing and
// linear probing. It replaces a Go map on the hottest path of Add: two
// probes per band per document, mostly on cold cache lines, where the
// generic map's group lookups cost several times more. Key 0 marks an empty
// slot, so key 0 is stored as 1 (a negligible extra collision).
type table struct {
	keys []uint64
	vals []uint32
	n    int
	mask uint64
}

func newTable() *table {
	const size = 1 << 12
	return &table{keys: make([]uint64, size), vals: make([]uint32, size), mask: size - 1}
}

func fixKey(k uint64) uint64 {
	if k == 0 {
		return 1
	}
	return k
}

// get returns the value of k, or 0 when absent.
func (t *table) get(k uint64) uint32 {
	k = fixKey(k)
	// Band keys are already mixed hashes: the low bits index directly.
	for i := k & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case k:
			return t.vals[i]
		case 0:
			return 0
		}
	}
}

// put sets k to v.
func (t *table) put(k uint64, v uint32) {
	k = fixKey(k)
	if 4*(t.n+1) > 3*len(t.keys) {
		t.grow()
	}
	for i := k & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i] {
		case k:
			t.vals[i] = v
			return
		case 0:
			t.keys[i], t.vals[i] = k, v
			t.n++
			return
		}
	}
}

func (t *table) grow() { t.reserve(len(t.keys)) }

// reserve grows the table to hold n entries below its load limit.
func (t *table) reserve(n int) {
	size := len(t.keys)
	for 4*n > 3*size {
		size *= 2
	}
	if size == len(t.keys) {
		return
	}
	old, oldv := t.keys, t.vals
	t.keys, t.vals, t.mask, t.n = make([]uint64, size), make([]uint32, size), uint64(size-1), 0
	for i, k := range old {
		if k != 0 {
			t.put(k, oldv[i])
		}
	}
}
