package tokenizer

import "math/bits"

// mergeTable maps a pair key to rank<<32|new id with open addressing and
// linear probing. Lookups are the encoder's inner loop; a flat table at load
// factor <= 1/2 beats the general map there.
type mergeTable struct {
	keys  []uint64
	vals  []uint64
	shift uint
}

// emptyKey is the pair (-1, -1), which no merge can have.
const emptyKey = ^uint64(0)

func newMergeTable(n int) *mergeTable {
	size := 16
	for size < 2*n {
		size *= 2
	}
	t := &mergeTable{keys: make([]uint64, size), vals: make([]uint64, size), shift: uint(64 - bits.TrailingZeros(uint(size)))}
	for i := range t.keys {
		t.keys[i] = emptyKey
	}
	return t
}

func (t *mergeTable) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> t.shift }

// put inserts or replaces k.
func (t *mergeTable) put(k, v uint64) {
	mask := uint64(len(t.keys) - 1)
	for i := t.slot(k); ; i = (i + 1) & mask {
		if t.keys[i] == k || t.keys[i] == emptyKey {
			t.keys[i], t.vals[i] = k, v
			return
		}
	}
}

func (t *mergeTable) get(k uint64) (uint64, bool) {
	mask := uint64(len(t.keys) - 1)
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.keys[i] {
		case k:
			return t.vals[i], true
		case emptyKey:
			return 0, false
		}
	}
}
