package kernel

import "unsafe"

// kernelGo is the portable micro-kernel. Each element is summed over p in
// order, like the assembly kernels.
func kernelGo(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows, cols int, bias *float32) {
	as := unsafe.Slice(a, (mr-1)*sI+(k-1)*sP+1)
	bs := unsafe.Slice(b, k*nr)
	cs := unsafe.Slice(c, (rows-1)*ldc+cols)
	var bs0 []float32
	if bias != nil && beta == 0 {
		bs0 = unsafe.Slice(bias, cols)
	}
	var acc [nr]float32
	for i := range rows {
		acc = [nr]float32{}
		ai := as[i*sI:]
		for p := range k {
			av := ai[p*sP]
			bp := bs[p*nr : p*nr+nr]
			for j := range acc {
				acc[j] += av * bp[j]
			}
		}
		crow := cs[i*ldc : i*ldc+cols]
		for j := range crow {
			if bs0 != nil {
				crow[j] = alpha*acc[j] + bs0[j]
			} else if beta == 0 {
				crow[j] = alpha * acc[j]
			} else {
				crow[j] = alpha*acc[j] + beta*crow[j]
			}
		}
	}
}
