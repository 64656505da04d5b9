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
)

// EnvVar is the environment variable that forces a path at start-up.
const EnvVar = "CAUSEWAY_GEMM"

var pathNames = [...]string{Go: "go", AVX2: "avx2", AVX512: "avx512", OpenBLAS: "openblas"}

// String returns the path's name as CAUSEWAY_GEMM spells it.
func (p Path) String() string {
	if p < 0 || int(p) >= len(pathNames) {
		return fmt.Sprintf("Path(%d)", int(p))
	}
	return pathNames[p]
}

// ParsePath returns the path named s (go, avx2, avx512, openblas; any case).
func ParsePath(s string) (Path, error) {
	for p, name := range pathNames {
		if strings.EqualFold(s, name) {
			return Path(p), nil
		}
	}
	return 0, fmt.Errorf("gemm: unknown kernel path %q (want one of %s)", s, strings.Join(pathNames[:], ", "))
}

// Supported reports whether path p runs on this CPU and build.
func Supported(p Path) bool {
	switch p {
	case Go:
		return true
	case AVX2:
		return hasAVX2
	case AVX512:
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
// this CPU supports.
func Best() Path {
	switch {
	case hasAVX512:
		return AVX512
	case hasAVX2:
		return AVX2
	}
	return Go
}

var (
	current atomic.Int32
	problem string
)

func init() {
	p := Best()
	if s := os.Getenv(EnvVar); s != "" {
		switch q, err := ParsePath(s); {
		case err != nil:
			problem = fmt.Sprintf("%s=%s ignored: %v", EnvVar, s, err)
		case !Supported(q):
			problem = fmt.Sprintf("%s=%s ignored: this CPU or build has no %s path (it has %v)", EnvVar, s, q, Paths())
		default:
			p = q
		}
	}
	current.Store(int32(p))
}

// Current returns the path in use.
func Current() Path { return Path(current.Load()) }

// Problem returns why CAUSEWAY_GEMM was ignored, or "".
func Problem() string { return problem }

// Use switches every later product to path p, and returns the previous
// path. It fails if p does not run here. Products already running finish
// on the path they started with.
func Use(p Path) (Path, error) {
	if !Supported(p) {
		return Current(), fmt.Errorf("gemm: this CPU or build has no %s path (it has %v)", p, Paths())
	}
	return Path(current.Swap(int32(p))), nil
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
