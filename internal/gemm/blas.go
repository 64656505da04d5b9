package gemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// BLAS is gonum's pure-Go BLAS with Sgemm replaced by MulParallel, for
// libraries that take a whole BLAS implementation (gorgonia's tensors,
// through tensor.Use). Workers bounds the goroutines of one product.
type BLAS struct {
	gonum.Implementation
	Workers int
}

// Sgemm computes c = alpha·op(a)·op(b) + beta·c (row-major, as gonum's
// blas.Float32Level3) with MulParallel.
func (l BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	MulParallel(l.Workers, tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
