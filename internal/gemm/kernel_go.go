package gemm

// goKernel is the pure-Go micro-kernel: for each row and each half panel
// (8 columns in registers), the multiply-adds over p in order from zero,
// then (acc ≠ 0) c added to the sum. Where Go
// fuses a·b+c into one instruction (arm64, ppc64le, s390x, amd64 with
// GOAMD64=v3) it gives the assembly kernels' bits; elsewhere (amd64 v1 and
// v2) each product is rounded before the sum, a last-bit difference.
//
// op(a)[r][p] is a[r·lda+p] when rows, else a[p·lda+r].
func goKernel(rows bool, h int, a []float32, lda int, b []float32, k int, c []float32, ldc int, acc int) {
	b = b[:k*PanelWidth]
	rs, ps := 1, lda // column kernel
	if rows {
		rs, ps = lda, 1
	}
	for r := range h {
		for half := 0; half < PanelWidth; half += 8 {
			out := c[r*ldc+half : r*ldc+half+8]
			var s0, s1, s2, s3, s4, s5, s6, s7 float32
			for p := range k {
				av := a[r*rs+p*ps]
				bp := b[p*PanelWidth+half : p*PanelWidth+half+8]
				s0 += av * bp[0]
				s1 += av * bp[1]
				s2 += av * bp[2]
				s3 += av * bp[3]
				s4 += av * bp[4]
				s5 += av * bp[5]
				s6 += av * bp[6]
				s7 += av * bp[7]
			}
			if acc != 0 {
				s0, s1, s2, s3 = s0+out[0], s1+out[1], s2+out[2], s3+out[3]
				s4, s5, s6, s7 = s4+out[4], s5+out[5], s6+out[6], s7+out[7]
			}
			out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = s0, s1, s2, s3, s4, s5, s6, s7
		}
	}
}
