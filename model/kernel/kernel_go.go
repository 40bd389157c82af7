package kernel

import "unsafe"

// kernelGo is the portable micro-kernel. It walks the mr×nr tile in 4×4
// blocks whose 16 sums stay in registers on 32-register machines (arm64);
// each element is still summed over p in order, like the assembly kernels.
func kernelGo(k int, a *float32, sI, sP int, b *float32, c *float32, ldc int, alpha, beta float32, rows, cols int, bias *float32) {
	as := unsafe.Slice(a, (mr-1)*sI+(k-1)*sP+1)
	bs := unsafe.Slice(b, k*nr)
	var acc [mr * nr]float32
	for i0 := 0; i0 < rows; i0 += 4 {
		for j0 := 0; j0 < cols; j0 += 4 {
			block4x4(&acc, as, bs, k, sI, sP, i0, j0)
		}
	}
	storeTile(&acc, c, ldc, alpha, beta, rows, cols, bias)
}

// storeTile writes the top-left rows×cols of a summed tile into C:
// c = alpha·acc + bias when bias is given and beta is 0, else
// c = alpha·acc + beta·c (c is not read when beta is 0).
func storeTile(acc *[mr * nr]float32, c *float32, ldc int, alpha, beta float32, rows, cols int, bias *float32) {
	cs := unsafe.Slice(c, (rows-1)*ldc+cols)
	var bsl []float32
	if bias != nil && beta == 0 {
		bsl = unsafe.Slice(bias, cols)
	}
	for i := range rows {
		crow := cs[i*ldc : i*ldc+cols]
		arow := acc[i*nr : i*nr+cols]
		for j, t := range arow {
			switch {
			case bsl != nil:
				crow[j] = alpha*t + bsl[j]
			case beta == 0:
				crow[j] = alpha * t
			default:
				crow[j] = alpha*t + beta*crow[j]
			}
		}
	}
}

// block4x4 sums rows i0..i0+3, columns j0..j0+3 of the tile into acc.
// Rows and columns past the matrix hold padding and are computed anyway.
func block4x4(acc *[mr * nr]float32, as, bs []float32, k, sI, sP, i0, j0 int) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	var c20, c21, c22, c23, c30, c31, c32, c33 float32
	a0, a1, a2, a3 := i0*sI, (i0+1)*sI, (i0+2)*sI, (i0+3)*sI
	for p := range k {
		bp := bs[p*nr+j0 : p*nr+j0+4 : p*nr+j0+4]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		o := p * sP
		x := as[a0+o]
		c00 += x * b0
		c01 += x * b1
		c02 += x * b2
		c03 += x * b3
		x = as[a1+o]
		c10 += x * b0
		c11 += x * b1
		c12 += x * b2
		c13 += x * b3
		x = as[a2+o]
		c20 += x * b0
		c21 += x * b1
		c22 += x * b2
		c23 += x * b3
		x = as[a3+o]
		c30 += x * b0
		c31 += x * b1
		c32 += x * b2
		c33 += x * b3
	}
	r := acc[i0*nr+j0:]
	r[0], r[1], r[2], r[3] = c00, c01, c02, c03
	r = acc[(i0+1)*nr+j0:]
	r[0], r[1], r[2], r[3] = c10, c11, c12, c13
	r = acc[(i0+2)*nr+j0:]
	r[0], r[1], r[2], r[3] = c20, c21, c22, c23
	r = acc[(i0+3)*nr+j0:]
	r[0], r[1], r[2], r[3] = c30, c31, c32, c33
}
