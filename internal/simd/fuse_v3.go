//go:build amd64.v3 || amd64.v4

package simd

// scalarFuses reports whether the compiler fuses a·b+c into one rounding
// in scalar float code: it does on amd64 from GOAMD64=v3 on.
const scalarFuses = true
