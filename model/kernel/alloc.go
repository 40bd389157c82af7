package kernel

import (
	"os"
	"unsafe"
)

// Zeros returns n zero floats whose memory pages are already mapped.
//
// The OS maps a fresh allocation's pages on first write. When two threads
// take those faults in one region at once, a virtual machine can slow them
// about 30-fold (the first AdamW update of config M's moments, 112 MB: 28 s
// on two threads against 0.84 s on one), so buffers that kernels later fill
// in parallel are faulted in here, from one thread.
func Zeros(n int) []float32 { return zeros[float32](n) }

func zeros[T float32 | uint16 | uint32](n int) []T {
	b := make([]T, n)
	var t T
	size := int(unsafe.Sizeof(t))
	stride := pageSize / size
	// One store per page: stores exactly a page apart reach every page.
	for i := 0; i < n; i += stride {
		b[i] = 0
	}
	if n > 0 {
		b[n-1] = 0
	}
	return b
}

var pageSize = os.Getpagesize()
