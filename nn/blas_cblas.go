//go:build cgo && !nocblas

package nn

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
*/
import "C"

import (
	"os"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/netlib/blas/netlib"
	"gorgonia.org/tensor"
)

// init routes gorgonia's tensors and this package's sgemm calls to OpenBLAS.
// Unless OPENBLAS_NUM_THREADS is set, OpenBLAS runs on one thread: its
// threads spin and oversubscribe a small machine, and results (float32
// rounding) depend on the thread count.
func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
	tensor.Use(netlib.Implementation{})
	blas32.Use(netlib.Implementation{})
}

// splitGemm: gemm splits large products across goroutines itself.
const splitGemm = true

const blasName = "openblas"
