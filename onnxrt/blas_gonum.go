//go:build !cgo || nocblas

package onnxrt

import "gonum.org/v1/gonum/blas/gonum"

// sgemm is gonum's pure-Go BLAS.
var sgemm = gonum.Implementation{}

const blasName = "gonum"
