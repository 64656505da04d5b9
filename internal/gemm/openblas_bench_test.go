//go:build openblas

package gemm_test

import _ "causeway/internal/gemm/openblas" // BenchmarkMul also times OpenBLAS
