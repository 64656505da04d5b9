//go:build cgo && !nocblas

package onnxrt

/*
#cgo LDFLAGS: -lopenblas
void openblas_set_num_threads(int num_threads);
*/
import "C"

import (
	"os"

	"gonum.org/v1/netlib/blas/netlib"
)

// sgemm is OpenBLAS, called directly (the global blas32 implementation is
// left alone). Unless OPENBLAS_NUM_THREADS is set, OpenBLAS runs on one
// thread: the executor gets its parallelism from concurrent requests, and
// OpenBLAS's spinning threads oversubscribe a small machine.
var sgemm = netlib.Implementation{}

func init() {
	if os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		C.openblas_set_num_threads(1)
	}
}

const blasName = "openblas"
