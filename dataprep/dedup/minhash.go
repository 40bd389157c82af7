package dedup

// hasher holds the permutation family h -> a*h + b (mod 2^64) with odd a.
// The minimum is taken over the full 64-bit value, so it is decided by the
// high bits, which are the well-mixed ones of a multiply-shift hash; the
// signature keeps those 32 high bits.
type hasher struct {
	a, b []uint64
	rows int
}

func newHasher(n, rows int, seed int64) *hasher {
	h := &hasher{a: make([]uint64, n), b: make([]uint64, n), rows: rows}
	s := uint64(seed)
	for i := range n {
		h.a[i] = splitmix(&s) | 1
		h.b[i] = splitmix(&s)
	}
	return h
}

// splitmix is SplitMix64, the usual seeder of 64-bit generators.
func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// minhash writes the signature of the shingle set sh into sig
// (len(sig) == len(h.a)): the AVX-512 kernels take whole vectors of
// permutations where the CPU has them, the scalar loop the rest.
func (h *hasher) minhash(sh []uint64, sig []uint32) {
	var buf [512]uint64
	var mins []uint64
	if len(h.a) <= len(buf) {
		mins = buf[:len(h.a)]
	} else {
		mins = make([]uint64, len(h.a))
	}
	for j := range mins {
		mins[j] = ^uint64(0)
	}
	done := minhashVector(sh, h.a, h.b, mins)
	minhashScalar(sh, h.a[done:], h.b[done:], mins[done:])
	sig = sig[:len(mins)]
	for j, m := range mins {
		sig[j] = uint32(m >> 32)
	}
}

// minhashScalar folds permutations (a, b) into mins. The shingle loop is
// innermost and unrolled by four with independent minima so the multiplies
// overlap.
func minhashScalar(sh, a, b, mins []uint64) {
	b = b[:len(a)]
	mins = mins[:len(a)]
	n4 := len(sh) &^ 3
	for j := range a {
		aj, bj := a[j], b[j]
		m0, m1, m2, m3 := mins[j], ^uint64(0), ^uint64(0), ^uint64(0)
		for i := 0; i < n4; i += 4 {
			s := sh[i : i+4 : i+4]
			m0 = min(m0, aj*s[0]+bj)
			m1 = min(m1, aj*s[1]+bj)
			m2 = min(m2, aj*s[2]+bj)
			m3 = min(m3, aj*s[3]+bj)
		}
		for _, x := range sh[n4:] {
			m0 = min(m0, aj*x+bj)
		}
		mins[j] = min(m0, m1, m2, m3)
	}
}

// bands appends one key per band: a hash of the band's rows mixed with the
// band number, so all bands can share one table.
func (h *hasher) bands(sig []uint32, nb int, dst []uint64) []uint64 {
	r := h.rows
	for b := range nb {
		k := uint64(b+1) * 0x9e3779b97f4a7c15
		for _, v := range sig[b*r : (b+1)*r] {
			k = (k^uint64(v))*fnvPrime + 0x632be59bd9b4e019
			k ^= k >> 29
		}
		dst = append(dst, mix64(k))
	}
	return dst
}

// similarity estimates Jaccard similarity as the fraction of equal values.
func similarity(x, y []uint32) float64 {
	y = y[:len(x)]
	eq := 0
	for i, v := range x {
		if v == y[i] {
			eq++
		}
	}
	return float64(eq) / float64(len(x))
}
