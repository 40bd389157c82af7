//go:build !amd64 || purego

package kernel

const lowRank8 = false

func lowRankDown8(x, w, h []float32, d int, alpha float32)       { panic("unreachable") }
func lowRankUp8(y, h, u []float32, d int)                        { panic("unreachable") }
func lowRankGrad8(g, h, x []float32, rows, cols, ld, hs int)     { panic("unreachable") }
func lowRankDown8x3(x, w, h []float32, d, hs int, alpha float32) { panic("unreachable") }
func lowRankUp8x3(y, h, u []float32, d, hs int)                  { panic("unreachable") }
