package nn

import (
	"runtime"

	"causeway/internal/gemm"

	"gonum.org/v1/gonum/blas/blas32"
	"gorgonia.org/tensor"
)

// init routes gorgonia's tensors (and gonum's blas32 package) to package
// gemm's kernels: gonum's pure-Go BLAS with Sgemm replaced.
func init() {
	impl := gemm.BLAS{Workers: runtime.GOMAXPROCS(0)}
	tensor.Use(impl)
	blas32.Use(impl)
}

// BLAS names the matrix-multiply kernels in use (package gemm's path:
// "avx512", "avx2", "go", or "openblas" in a build with -tags openblas).
func BLAS() string { return gemm.Current().String() }

// gemmMul computes c = alpha·op(a)·op(b) + beta·c on row-major float32
// matrices, op(a) m×k and op(b) k×n, split across the process's cores when
// large (the bits do not depend on the split).
func gemmMul(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemm.MulParallel(runtime.GOMAXPROCS(0), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
