//go:build !(amd64.v3 || amd64.v4)

package simd

// scalarFuses reports whether the compiler fuses a·b+c into one rounding
// in scalar float code. Where it does not matter (no vector kernels: arm64
// and other architectures) it is false too.
const scalarFuses = false
