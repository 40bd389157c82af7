package split

import "math"

// Held reports whether the row with key goes to validation: a seeded
// FNV-1a hash of key, finished with the splitmix64 mixer so that similar
// keys spread evenly, falls below fraction.
func Held(seed int64, key string, fraction float64) bool {
	if fraction <= 0 {
		return false
	}
	h := uint64(14695981039346656037)
	for i := 0; i < 8; i++ {
		h ^= uint64(seed>>(8*i)) & 0xff
		h *= 1099511628211
	}
	for i := 0; i < len(key); i++ {
		h ^= uint64(key[i])
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	u := float64(h>>11) / (1 << 53)
	return u < fraction && !math.IsNaN(fraction)
}
