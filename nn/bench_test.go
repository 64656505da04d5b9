package nn

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"causeway/model"
)

// BenchmarkStep measures one training step (forward + backward, no
// optimiser) at the notebook's default size: batch 32, N=20, S=100,
// d_model 128, 4 layers, FF 2048.
func BenchmarkStep(b *testing.B) {
	for _, v := range model.Variants {
		b.Run(string(v), func(b *testing.B) {
			cfg := model.DefaultConfig(v)
			p, err := model.Init(cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			net, err := NewNet(cfg, p)
			if err != nil {
				b.Fatal(err)
			}
			batch := randBatch(rand.New(rand.NewPCG(1, 2)), 32, 100, 20)
			rng := rand.New(rand.NewPCG(3, 4))
			if _, err := net.Step(batch, DefaultLossWeights(), 1, rng); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := net.Step(batch, DefaultLossWeights(), 1, rng); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
			// CPU time (all threads) is steadier than wall time on a shared
			// machine; wall ≈ cpu/2 when both cores are free.
			b.ReportMetric((cpuTime()-cpu0).Seconds()*1000/float64(b.N), "cpu-ms/step")
		})
	}
}

// BenchmarkPredict measures Model A's inference graph at the default size
// for a single query and for a batch of 32.
func BenchmarkPredict(b *testing.B) {
	for _, B := range []int{1, 32} {
		b.Run(fmt.Sprintf("A/B=%d", B), func(b *testing.B) {
			cfg := model.DefaultConfig(model.VariantA)
			p, err := model.Init(cfg, 1)
			if err != nil {
				b.Fatal(err)
			}
			net, err := NewNet(cfg, p)
			if err != nil {
				b.Fatal(err)
			}
			batch := randBatch(rand.New(rand.NewPCG(1, 2)), B, 100, 20)
			if _, _, err := net.Predict(batch); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := net.Predict(batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		})
	}
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
