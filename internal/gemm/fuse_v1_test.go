//go:build !amd64.v3

package gemm

// amd64FusesMulAdd is false: below GOAMD64=v3 Go rounds a·b before adding.
const amd64FusesMulAdd = false
