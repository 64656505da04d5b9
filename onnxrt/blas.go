package onnxrt

import "gonum.org/v1/gonum/blas"

// BLAS names the matrix-multiply implementation the executor was built with:
// "openblas" (cgo build, through gonum.org/v1/netlib) or "gonum" (pure Go:
// CGO_ENABLED=0 or the nocblas build tag).
func BLAS() string { return blasName }

// gemm computes c = alpha·op(a)·op(b) + beta·c on row-major float32
// matrices (op(a) m×k, op(b) k×n) with the build's BLAS. Sub-slices with
// leading dimensions larger than the row length address strided views.
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	sgemm.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
