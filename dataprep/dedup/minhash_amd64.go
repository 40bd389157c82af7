//go:build amd64 && !purego

package dedup

import "golang.org/x/sys/cpu"

// The AVX-512 kernels fold 64, 32 or 8 permutations per pass over the
// shingles; VPMULLQ needs AVX512DQ. They compute exactly the scalar
// a*h + b (mod 2^64) and unsigned minimum, so signatures do not depend on
// the CPU.

//go:noescape
func minhash8AVX512(sh *uint64, n int, a, b, mins *uint64)

//go:noescape
func minhash4AVX512(sh *uint64, n int, a, b, mins *uint64)

//go:noescape
func minhash1AVX512(sh *uint64, n int, a, b, mins *uint64)

var haveAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ

// minhashVector folds the first len(mins) &^ 7 permutations with AVX-512
// and returns how many it did; mins starts at all ones.
func minhashVector(sh []uint64, a, b, mins []uint64) int {
	if !haveAVX512 || len(sh) == 0 {
		return 0
	}
	n, j := len(sh), 0
	for ; len(mins)-j >= 64; j += 64 {
		minhash8AVX512(&sh[0], n, &a[j], &b[j], &mins[j])
	}
	for ; len(mins)-j >= 32; j += 32 {
		minhash4AVX512(&sh[0], n, &a[j], &b[j], &mins[j])
	}
	for ; len(mins)-j >= 8; j += 8 {
		minhash1AVX512(&sh[0], n, &a[j], &b[j], &mins[j])
	}
	return j
}
