package gemm

import "runtime"

// goFuses reports whether this build's compiler fuses float32 a·b+c (so
// the Go kernel gives the assembly kernels' bits). On amd64 that takes
// GOAMD64=v3 or later; the tests check amd64 conservatively as not fusing.
var goFuses = runtime.GOARCH == "arm64" || runtime.GOARCH == "ppc64le" || runtime.GOARCH == "s390x"
