//go:build amd64.v3

package gemm

// amd64FusesMulAdd is true: with GOAMD64=v3 (FMA) Go fuses a·b+c.
const amd64FusesMulAdd = true
