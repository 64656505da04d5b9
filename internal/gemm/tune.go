package gemm

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// tuneMargin is how much faster the 8×32 tiles must be to be chosen: on
// this project's AMD Zen 4 they measure 0–10% slower than 8×16 (AVX-512
// runs as two 256-bit halves there, and a register broadcast costs an FP
// pipe), while MLAS uses 32-column tiles on Intel cores with two 512-bit
// FMA units, where 8×16 tiles are bound by loads (9 for 8 FMAs).
const tuneMargin = 0.97

// tune's results, read after tuneOnce.Do(tune).
var (
	tuneOnce   sync.Once
	tuned      Path // AVX512 or AVX512x32
	tuneReport string
)

// Tuning reports Best()'s measurement of the AVX-512 tile shapes (taking
// it if Best has not yet), or "" without AVX-512.
func Tuning() string {
	if !hasAVX512 {
		return ""
	}
	tuneOnce.Do(tune)
	return tuneReport
}

// tuneShapes are the products tune times: a wide, a deep and a short
// packed product (the executor's FF layers and Model F's d = 64), 63–126
// Mflop; on Zen 4 the short one is where 8×32 tiles lose most (20%).
var tuneShapes = []struct{ m, n, k int }{{240, 1024, 128}, {240, 128, 1024}, {480, 2048, 64}}

// tune times tuneShapes with avx512's 8×16 tiles and avx512x32's 8×32
// ones, alternating, four runs each after one untimed, and keeps the
// faster shape by the sum of each product's best run (avx512 unless
// avx512x32 is faster by 3%): about 25 ms, once. Both give the same bits,
// so the choice changes only speed.
func tune() {
	rng := rand.New(rand.NewPCG(1, 2))
	var total [2]time.Duration
	for _, sh := range tuneShapes {
		a, w := make([]float32, sh.m*sh.k), make([]float32, sh.k*sh.n)
		for i := range a {
			a[i] = float32(rng.NormFloat64())
		}
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		packed := Pack(w, sh.k, sh.n)
		c := make([]float32, sh.m*sh.n)
		panels := (sh.n + PanelWidth - 1) / PanelWidth
		best := [2]time.Duration{time.Hour, time.Hour}
		for round := range 5 {
			for i, p := range []Path{AVX512, AVX512x32} {
				start := time.Now()
				block(p, false, 0, sh.m, 0, panels, sh.n, sh.k, a, sh.k, operandB{packed: packed}, c, sh.n, false)
				if d := time.Since(start); round > 0 {
					best[i] = min(best[i], d)
				}
			}
		}
		total[0] += best[0]
		total[1] += best[1]
	}
	tuned = chooseTiles(total[0], total[1])
	tuneReport = fmt.Sprintf("%s: 8×16 tiles %.2f ms, 8×32 tiles %.2f ms over 3 products", tuned,
		total[0].Seconds()*1e3, total[1].Seconds()*1e3)
}

// chooseTiles returns avx512x32 when its tiles took less than tuneMargin of
// the 8×16 tiles' time, else avx512.
func chooseTiles(t16, t32 time.Duration) Path {
	if float64(t32) < tuneMargin*float64(t16) {
		return AVX512x32
	}
	return AVX512
}
