//go:build openblas

package nn

import _ "causeway/internal/gemm/openblas" // the "openblas" gemm path, for comparison
