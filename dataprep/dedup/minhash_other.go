//go:build !amd64 || purego

package dedup

const haveAVX512 = false

func minhashVector(sh []uint64, a, b, mins []uint64) int { return 0 }
