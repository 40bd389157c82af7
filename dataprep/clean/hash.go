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

// table is an open-addressing hash table of uint64 keys with a count per
// key, 12 bytes a slot at a load of at most 2/3. It is reused across
// documents: reset only clears the part that the next document needs.
type table struct {
	keys   []uint64
	counts []int32
	size   uint64
}

// reset prepares the table for up to n distinct keys.
func (t *table) reset(n int) {
	size := n + n/2 + 16
	if cap(t.keys) < size {
		t.keys = make([]uint64, size)
		t.counts = make([]int32, size)
	} else {
		t.keys = t.keys[:size]
		t.counts = t.counts[:size]
		clear(t.keys)
	}
	t.size = uint64(size)
}

// slot returns the slot holding k, or the empty slot where it belongs. Key
// 0 marks an empty slot, so callers store a zero hash as 1.
func (t *table) slot(k uint64) uint64 {
	// Keys are well-mixed hashes: the high bits of k*size spread them over
	// a table of any size.
	i, _ := bits.Mul64(k, t.size)
	for t.keys[i] != 0 && t.keys[i] != k {
		if i++; i == t.size {
			i = 0
		}
	}
	return i
}

// add inserts one occurrence of k and returns its slot, whose count is
// then the occurrences of k so far.
func (t *table) add(k uint64) int {
	k = max(k, 1)
	i := t.slot(k)
	if t.keys[i] == 0 {
		t.keys[i], t.counts[i] = k, 0
	}
	t.counts[i]++
	return int(i)
}
