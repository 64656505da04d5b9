package onnxrt

import "causeway/internal/gemm"

// BLAS names the matrix-multiply kernels in use (package gemm's path:
// "avx512", "avx2", "go", or "openblas" in a build with -tags openblas).
func BLAS() string { return gemm.Current().String() }

// gemmMul computes c = alpha·op(a)·op(b) + beta·c on row-major float32
// matrices (op(a) m×k, op(b) k×n) on the calling goroutine: the executor
// gets its parallelism from concurrent requests. Sub-slices with leading
// dimensions larger than the row length address strided views.
func gemmMul(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm.Mul(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
