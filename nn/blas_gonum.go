//go:build !cgo || nocblas

package nn

// splitGemm: gemm splits large products across goroutines itself.
const splitGemm = false

const blasName = "gonum"
