package nn

import (
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// BLAS names the BLAS implementation in use: "openblas" (cgo build through
// gonum.org/v1/netlib) or "gonum" (pure Go; CGO_ENABLED=0 or the nocblas
// build tag).
func BLAS() string { return blasName }

// gemmSplitFlops is the size (m·n·k) from which gemm splits a product
// into gemmBlocks concurrent calls when the BLAS runs single-threaded
// (OpenBLAS here). The block count is fixed, not GOMAXPROCS, so results do
// not depend on the number of cores (OpenBLAS rounds differently for
// different block shapes).
const (
	gemmSplitFlops = 1 << 21
	gemmBlocks     = 2
)

// gemm computes c = alpha·op(a)·op(b) + beta·c on row-major float32
// matrices, op(a) m×k and op(b) k×n, through the BLAS chosen at init.
//
// With OpenBLAS (one thread per call) large products are split into
// gemmBlocks row (or column) blocks of c computed concurrently; gonum's
// pure-Go Sgemm parallelises by itself.
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
	impl := blas32.Implementation()
	const workers = gemmBlocks
	if !splitGemm || m*n*k < gemmSplitFlops {
		impl.Sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	var wg sync.WaitGroup
	if m >= n {
		// row blocks of c: rows of op(a)
		chunk := (m/workers + 15) &^ 15
		for lo := 0; lo < m; lo += chunk {
			hi := min(lo+chunk, m)
			off := lo * lda
			if transA {
				off = lo
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				impl.Sgemm(ta, tb, hi-lo, n, k, alpha, a[off:], lda, b, ldb, beta, c[lo*ldc:], ldc)
			}()
		}
	} else {
		// column blocks of c: columns of op(b)
		chunk := (n/workers + 15) &^ 15
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			off := lo
			if transB {
				off = lo * ldb
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				impl.Sgemm(ta, tb, m, hi-lo, k, alpha, a, lda, b[off:], ldb, beta, c[lo:], ldc)
			}()
		}
	}
	wg.Wait()
}
