package gemm_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"causeway/internal/gemm"
)

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// trainerShapes are the products of a training step at the notebook's
// sizes (bench/train: batch 32, N=20, d_model 128, FF 2048; 640 = 32·20
// token rows) and of Model F (batch 8, N=50: 20000 pair rows, d 64, FF
// 128), forward (x·W), and backward (g·Wᵀ, xᵀ·g).
var trainerShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"A fwd x·W 640×2048×128", false, false, 640, 2048, 128},
	{"A fwd x·W 640×128×2048", false, false, 640, 128, 2048},
	{"A fwd x·W 640×384×128", false, false, 640, 384, 128},
	{"A bwd g·Wᵀ 640×128×2048", false, true, 640, 128, 2048},
	{"A bwd xᵀ·g 128×2048×640", true, false, 128, 2048, 640},
	{"A attn q·kᵀ 20×20×32", false, true, 20, 20, 32},
	{"F fwd x·W 20000×128×64", false, false, 20000, 128, 64},
	{"F attn q·kᵀ 30×30×16", false, true, 30, 30, 16},
	{"F attn p·v 30×16×30", false, false, 30, 16, 30},
	{"F bwd xᵀ·g 64×128×20000", true, false, 64, 128, 20000},
	{"F stats xᵀ·x 50×50×3100", true, false, 50, 50, 3100},
}

var (
	peakOnce sync.Once
	peaks    = map[gemm.Path]float64{}
)

// peakGFLOPS returns path p's FMA peak on one core, measured once per
// process.
func peakGFLOPS(p gemm.Path) float64 {
	peakOnce.Do(func() {
		for _, q := range []gemm.Path{gemm.AVX2, gemm.AVX512, gemm.AVX512x32} {
			peaks[q] = gemm.Peak(q)
		}
	})
	return peaks[p]
}

// BenchmarkMul times Mul (one goroutine) on the trainer's main shapes on
// every path, and reports GFLOP/s and the fraction of the core's FMA peak
// (measured in the same process with a register-only FMA loop of the same
// width; the Go path is compared with the AVX2 peak):
//
//	go test ./internal/gemm -run XXX -bench Mul -cpu 1
//	go test -tags openblas ./internal/gemm -run XXX -bench Mul -cpu 1   # and OpenBLAS
func BenchmarkMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, sh := range trainerShapes {
		ar, ac, br, bc := sh.m, sh.k, sh.k, sh.n
		if sh.transA {
			ar, ac = ac, ar
		}
		if sh.transB {
			br, bc = bc, br
		}
		a, bm, c := randSlice(rng, ar*ac), randSlice(rng, br*bc), make([]float32, sh.m*sh.n)
		lda, ldb, ldc := ac, bc, sh.n
		for _, p := range gemm.Paths() {
			b.Run(fmt.Sprintf("%s/%s", sh.name, p), func(b *testing.B) {
				prev, _ := gemm.Use(p)
				defer gemm.Use(prev)
				for b.Loop() {
					gemm.Mul(sh.transA, sh.transB, sh.m, sh.n, sh.k, 1, a, lda, bm, ldb, 0, c, ldc)
				}
				gflops := 2 * float64(sh.m) * float64(sh.n) * float64(sh.k) * float64(b.N) / b.Elapsed().Seconds() / 1e9
				b.ReportMetric(gflops, "GFLOP/s")
				ref := p
				if p == gemm.Go || p == gemm.OpenBLAS {
					ref = gemm.Best()
				}
				if pk := peakGFLOPS(ref); pk > 0 {
					b.ReportMetric(100*gflops/pk, "%peak")
				}
			})
		}
	}
}

// executorShapes are the Linear layers of the executor's benchmark
// (bench/onnxrt: d_model 128, FF 2048, QKV 384) at B=32 (640 = 32·20
// token rows) and B=1 (20 rows), weights packed once as the executor does
// at load, and the bias (and the first FF layer's ReLU) applied by the
// kernels as the executor does (MulPackedBias). At B=1 a model's weights do
// not stay in cache from one call to the next, so those products take 16
// weight matrices in turn (16 MiB). The second FF layer after a ReLU also
// runs with 40% of its input nonzero (the shipped models D and E: 33–46%
// on the quick start's data), through MulPackedBias and
// MulPackedBiasSparse (its GFLOP/s counts the dense product's flops, its
// %peak the multiply-adds it does).
var executorShapes = []struct {
	name    string
	m, n, k int
	weights int
	relu    bool
	nonzero float64 // the share of a's values that are nonzero; 0: all
}{
	{"FF up 640×2048×128", 640, 2048, 128, 1, true, 0},
	{"FF down 640×128×2048", 640, 128, 2048, 1, false, 0},
	{"FF down 640×128×2048 40%", 640, 128, 2048, 1, false, 0.4},
	{"QKV 640×384×128", 640, 384, 128, 1, false, 0},
	{"out 640×128×128", 640, 128, 128, 1, false, 0},
	{"B=1 FF up 20×2048×128", 20, 2048, 128, 16, true, 0},
	{"B=1 FF down 20×128×2048", 20, 128, 2048, 16, false, 0},
	{"B=1 FF down 20×128×2048 40%", 20, 128, 2048, 16, false, 0.4},
}

// BenchmarkMulPacked times MulPackedBias (one goroutine) on the
// executor's Linear shapes on every kernel path, in GFLOP/s and % of the
// FMA peak:
//
//	go test ./internal/gemm -run XXX -bench MulPacked -cpu 1
func BenchmarkMulPacked(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, sh := range executorShapes {
		a, c := randSlice(rng, sh.m*sh.k), make([]float32, sh.m*sh.n)
		if sh.nonzero > 0 {
			for i := range a {
				if rng.Float64() >= sh.nonzero {
					a[i] = 0
				}
			}
		}
		packed := make([][]float32, sh.weights)
		for i := range packed {
			packed[i] = gemm.Pack(randSlice(rng, sh.k*sh.n), sh.k, sh.n)
		}
		bias := randSlice(rng, sh.n)
		for _, p := range gemm.Paths() {
			if p == gemm.Go || p == gemm.OpenBLAS {
				continue
			}
			for _, sparse := range []bool{false, true} {
				if sparse && sh.nonzero == 0 {
					continue
				}
				name := fmt.Sprintf("%s/%s", sh.name, p)
				mul := gemm.MulPackedBias
				if sparse {
					name, mul = name+"/sparse", gemm.MulPackedBiasSparse
				}
				b.Run(name, func(b *testing.B) {
					prev, _ := gemm.Use(p)
					defer gemm.Use(prev)
					i := 0
					for b.Loop() {
						mul(sh.m, sh.n, sh.k, a, sh.k, packed[i%len(packed)], bias, sh.relu, c, sh.n)
						i++
					}
					gflops := 2 * float64(sh.m) * float64(sh.n) * float64(sh.k) * float64(b.N) / b.Elapsed().Seconds() / 1e9
					b.ReportMetric(gflops, "GFLOP/s")
					if pk := peakGFLOPS(p); pk > 0 {
						done := 1.0 // the share of the multiply-adds done
						if sparse {
							done = sh.nonzero
						}
						b.ReportMetric(100*gflops*done/pk, "%peak")
					}
				})
			}
		}
	}
}
