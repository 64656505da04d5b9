package gemm

import "runtime"

// goFuses reports whether this build's compiler fuses float32 a·b+c (so
// the Go kernel gives the assembly kernels' bits): arm64, ppc64le and
// s390x, and amd64 with GOAMD64=v3 or later (amd64FusesMulAdd).
var goFuses = runtime.GOARCH == "arm64" || runtime.GOARCH == "ppc64le" || runtime.GOARCH == "s390x" ||
	(runtime.GOARCH == "amd64" && amd64FusesMulAdd)
