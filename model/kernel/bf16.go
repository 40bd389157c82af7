package kernel

import (
	"fmt"
	"math"
	"os"
	"sync/atomic"
)

// Bf16 multiplies (GemmBF16, MatMulForwardBF16, LinearBackward with bf16) round
// their operands to bfloat16 — fp32's sign and exponent with 8 bits of
// mantissa — and accumulate in fp32. Two paths compute them:
//
//   - PathAVX512BF16 packs the operands as bf16 pairs and multiplies them
//     with VDPBF16PS, which does twice the fp32 FMA's work per instruction.
//   - PathFP32 rounds the operands to bf16 values held in fp32 and runs the
//     fp32 kernels: products of bf16 values are exact in fp32, so only the
//     summation order differs from the bf16 units.
//
// The path is chosen at start-up (the bf16 units where the CPU has them),
// can be forced with the environment variable LLMFLOW_KERNEL (fp32 or
// avx512bf16) or SetPath, and is reported by Path. Each path gives the same
// bits for any thread count.
const (
	PathFP32       = "fp32"
	PathAVX512BF16 = "avx512bf16"
)

// PathEnv is the environment variable that forces the bf16 path.
const PathEnv = "LLMFLOW_KERNEL"

// bf16Units is set when the bf16 dot products run on AVX512-BF16.
var bf16Units atomic.Bool

// pathEnvErr is the problem with LLMFLOW_KERNEL, if any, found at start-up.
var pathEnvErr error

func init() {
	bf16Units.Store(hasAVX512BF16)
	if v, ok := os.LookupEnv(PathEnv); ok && v != "" {
		pathEnvErr = SetPath(v)
	}
}

// Path reports the path bf16 multiplies take: PathAVX512BF16 or PathFP32.
func Path() string {
	if bf16Units.Load() {
		return PathAVX512BF16
	}
	return PathFP32
}

// SetPath forces the bf16 path by name. It fails, leaving the path as it
// was, for an unknown name or a path this CPU cannot run. Call it before
// multiplying, not concurrently with kernels.
func SetPath(name string) error {
	switch name {
	case PathFP32:
		bf16Units.Store(false)
	case PathAVX512BF16:
		if !hasAVX512BF16 {
			return fmt.Errorf("%s=%s: this CPU lacks AVX512-BF16 (use %s)", PathEnv, name, PathFP32)
		}
		bf16Units.Store(true)
	default:
		return fmt.Errorf("%s=%q: unknown kernel path; use %s or %s", PathEnv, name, PathFP32, PathAVX512BF16)
	}
	return nil
}

// PathEnvError reports an invalid LLMFLOW_KERNEL seen at start-up (the
// default path then stays), so that a run can refuse it with a clear error.
func PathEnvError() error { return pathEnvErr }

// ToBF16 rounds f to the nearest bfloat16, ties to even, as VCVTNE2PS2BF16
// does: denormals become a zero of the same sign and NaNs stay quiet NaNs.
func ToBF16(f float32) uint16 {
	u := math.Float32bits(f)
	switch {
	case u&0x7f800000 == 0:
		return uint16(u>>16) & 0x8000
	case u&0x7fffffff > 0x7f800000:
		return uint16(u>>16) | 0x40
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

// FromBF16 widens a bfloat16 to float32 exactly.
func FromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// RoundBF16 sets dst[i] to src[i] rounded to bf16 precision (dst may be src).
func RoundBF16(dst, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = FromBF16(ToBF16(v))
	}
}
