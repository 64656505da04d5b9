//go:build openblas

package onnxrt

import _ "causeway/internal/gemm/openblas" // the "openblas" gemm path, for comparison
