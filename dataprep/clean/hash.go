package clean

import "math/bits"

// hashString is a fast, deterministic 64-bit hash for words and lines
// (multiply-rotate over 8-byte blocks, murmur3 finaliser). Set membership
// only needs few collisions, not cryptographic strength, and the value must
// be the same in every process so that outputs are reproducible.
func hashString(s string) uint64 {
	const k1, k2 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F
	h := uint64(len(s)) * k1
	for len(s) >= 8 {
		h = bits.RotateLeft64(h^(load64(s)*k2), 31) * k1
		s = s[8:]
	}
	if len(s) > 0 {
		var v uint64
		for i := 0; i < len(s); i++ {
			v |= uint64(s[i]) << (8 * i)
		}
		h = bits.RotateLeft64(h^(v*k2), 31) * k1
	}
	return fmix64(h)
}

// hashSpan returns hashString(s[i:j]). For up to 8 bytes with 8 bytes
// readable from i it does one masked load instead of a byte loop.
func hashSpan(s string, i, j int) uint64 {
	n := j - i
	if n > 0 && n <= 8 && i+8 <= len(s) {
		const k1, k2 = 0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F
		v := load64(s[i:]) & (^uint64(0) >> (64 - 8*uint(n)))
		return fmix64(bits.RotateLeft64(uint64(n)*k1^(v*k2), 31) * k1)
	}
	return hashString(s[i:j])
}

// fmix64 is murmur3's 64-bit finaliser.
func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// combine extends an n-gram hash by one word hash, order-sensitively.
func combine(h, w uint64) uint64 {
	return fmix64(h*0x9E3779B97F4A7C15 + w + 0x632BE59BD9B4E019)
}

// table is an open-addressing hash table of uint64 keys with a count and the
// index of the first insertion per key. It is reused across documents: reset
// only clears the part that the next document needs.
type table struct {
	keys   []uint64
	counts []int32
	first  []int32
	mask   uint64
}

// reset prepares the table for up to n distinct keys.
func (t *table) reset(n int) {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	if cap(t.keys) < size {
		t.keys = make([]uint64, size)
		t.counts = make([]int32, size)
		t.first = make([]int32, size)
	} else {
		t.keys = t.keys[:size]
		t.counts = t.counts[:size]
		t.first = t.first[:size]
		clear(t.keys)
	}
	t.mask = uint64(size - 1)
}

// insert adds k (recording pos on first sight) and returns its slot and
// whether it was already present. Key 0 marks an empty slot, so a zero
// hash is stored as 1.
func (t *table) insert(k uint64, pos int) (int, bool) {
	if k == 0 {
		k = 1
	}
	i := k & t.mask
	for {
		switch t.keys[i] {
		case 0:
			t.keys[i] = k
			t.counts[i] = 1
			t.first[i] = int32(pos)
			return int(i), false
		case k:
			t.counts[i]++
			return int(i), true
		}
		i = (i + 1) & t.mask
	}
}
