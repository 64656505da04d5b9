package gemm

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// Path is a family of micro-kernels.
type Path int

// The kernel paths, from the most portable.
const (
	// Go is the pure-Go kernel (math.FMA), on every architecture.
	Go Path = iota
	// AVX2 is the amd64 kernel with 256-bit AVX2 and FMA3 instructions.
	AVX2
	// AVX512 is the amd64 kernel with 512-bit AVX-512F instructions.
	AVX512
	// OpenBLAS is OpenBLAS's sgemm through cgo; only in a build with
	// -tags openblas.
	OpenBLAS
	// AVX512x32 is AVX512 with 8×32 tiles across two panels where whole
	// 8-row tiles of two whole panels fit (MLAS's layout, built for cores
	// with two 512-bit FMA units), the 8×16 kernels elsewhere; the same
	// bits as AVX512.
	AVX512x32
)

// EnvVar is the environment variable that forces a path at start-up.
const EnvVar = "CAUSEWAY_GEMM"

var pathNames = [...]string{Go: "go", AVX2: "avx2", AVX512: "avx512", OpenBLAS: "openblas", AVX512x32: "avx512x32"}

// String returns the path's name as CAUSEWAY_GEMM spells it.
func (p Path) String() string {
	if p < 0 || int(p) >= len(pathNames) {
		return fmt.Sprintf("Path(%d)", int(p))
	}
	return pathNames[p]
}

// BestName is the name ParsePath and CAUSEWAY_GEMM take for Best().
const BestName = "best"

// ParsePath returns the path named s (go, avx2, avx512, openblas,
// avx512x32, or best for Best(); any case).
func ParsePath(s string) (Path, error) {
	if strings.EqualFold(s, BestName) {
		return Best(), nil
	}
	for p, name := range pathNames {
		if strings.EqualFold(s, name) {
			return Path(p), nil
		}
	}
	return 0, fmt.Errorf("gemm: unknown kernel path %q (want one of %s, %s)", s, strings.Join(pathNames[:], ", "), BestName)
}

// Supported reports whether path p runs on this CPU and build.
func Supported(p Path) bool {
	switch p {
	case Go:
		return true
	case AVX2:
		return hasAVX2
	case AVX512, AVX512x32:
		return hasAVX512
	case OpenBLAS:
		return openblasSgemm != nil
	}
	return false
}

// Paths returns the paths this CPU and build support, from the most
// portable.
func Paths() []Path {
	var out []Path
	for p := range Path(len(pathNames)) {
		if Supported(p) {
			out = append(out, p)
		}
	}
	return out
}

// Best returns the fastest path built from causeway's own kernels that
// this CPU supports: with AVX-512, avx512, or avx512x32 when its tiles
// measured at least 3% faster on this core (the first call times both,
// about 25 ms; see Tuning), else avx2, else go.
func Best() Path {
	switch {
	case hasAVX512:
		tuneOnce.Do(tune)
		return tuned
	case hasAVX2:
		return AVX2
	}
	return Go
}

// auto is current's value until the first product takes Best().
const auto = -1

var (
	current atomic.Int32
	problem string
)

func init() {
	p, why := envPath(os.Getenv(EnvVar))
	current.Store(int32(p))
	problem = why
}

// envPath returns the path CAUSEWAY_GEMM=s asks for (auto when s is empty
// or best, or names a path this CPU or build lacks) and, for a value it
// ignores, why.
func envPath(s string) (Path, string) {
	if s == "" || strings.EqualFold(s, BestName) {
		return auto, ""
	}
	switch q, err := ParsePath(s); {
	case err != nil:
		return auto, fmt.Sprintf("%s=%s ignored: %v", EnvVar, s, err)
	case !Supported(q):
		return auto, fmt.Sprintf("%s=%s ignored: this CPU or build has no %s path (it has %v)", EnvVar, s, q, Paths())
	default:
		return q, ""
	}
}

// Current returns the path in use: the one CAUSEWAY_GEMM or Use chose,
// else Best().
func Current() Path {
	if p := current.Load(); p != auto {
		return Path(p)
	}
	current.CompareAndSwap(auto, int32(Best()))
	return Path(current.Load())
}

// Problem returns why CAUSEWAY_GEMM was ignored, or "".
func Problem() string { return problem }

// Use switches every later product to path p, and returns the previous
// path. It fails if p does not run here. Products already running finish
// on the path they started with.
func Use(p Path) (Path, error) {
	if !Supported(p) {
		return Current(), fmt.Errorf("gemm: this CPU or build has no %s path (it has %v)", p, Paths())
	}
	prev := current.Swap(int32(p))
	if prev == auto {
		return Best(), nil
	}
	return Path(prev), nil
}

// The micro-kernel heights of each path, tallest first; asmKernel's switch
// (direct calls: a call through a function value would make its slices
// escape to the heap) must have a kernel for each.
var (
	heights512 = []int{8, 6, 4}
	heights256 = []int{6, 4}
	heightsGo  = []int{4}
)

// openblasSgemm is OpenBLAS's sgemm once package gemm/openblas registered
// it (a build with -tags openblas).
var openblasSgemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// RegisterOpenBLAS makes sgemm the path OpenBLAS; package gemm/openblas
// calls it from init. A CAUSEWAY_GEMM=openblas that init refused (the path
// was not registered yet) takes effect now.
func RegisterOpenBLAS(sgemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
	openblasSgemm = sgemm
	if s := os.Getenv(EnvVar); strings.EqualFold(s, OpenBLAS.String()) {
		current.Store(int32(OpenBLAS))
		problem = ""
	}
}

// Peak measures path p's fused multiply-add throughput on the calling core
// (a register-only loop of independent FMAs of the path's vector width,
// best of five runs of about 10 ms), in GFLOP/s: the reference for the
// kernels' efficiency. It returns 0 for paths without a vector loop.
func Peak(p Path) float64 {
	if !Supported(p) {
		return 0
	}
	best := 0.0
	for range 5 {
		start := time.Now()
		flops := peakLoop(p, 1<<19)
		if flops == 0 {
			return 0
		}
		best = max(best, flops/time.Since(start).Seconds()/1e9)
	}
	return best
}
