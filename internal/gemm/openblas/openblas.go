//go:build openblas && cgo

// Package openblas adds OpenBLAS's sgemm (cgo, libopenblas-dev) to package
// gemm as the path "openblas", for comparison with causeway's kernels. It
// is linked only into a build with -tags openblas: import it for its side
// effect.
package openblas

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
*/
import "C"

import (
	"os"

	"causeway/internal/gemm"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/netlib/blas/netlib"
)

// init registers OpenBLAS. Unless OPENBLAS_NUM_THREADS is set, OpenBLAS
// runs on one thread: its spinning threads oversubscribe a small machine,
// and its rounding depends on the thread count.
func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
	gemm.RegisterOpenBLAS(sgemm)
}

func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	netlib.Implementation{}.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
