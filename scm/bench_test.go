package scm

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
)

// BenchmarkInterventionalSet measures one interventional sample set (S = 100
// rows under one hard intervention, notebook prior p = 0.3) on one core,
// cycling through 16 graphs so the rate reflects the prior's mean edge count.
// sets/s is the throughput.
func BenchmarkInterventionalSet(b *testing.B) {
	for _, n := range []int{5, 20, 50} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Nodes = n
			r := rand.New(rand.NewPCG(1, 2))
			graphs := make([]*Graph, 16)
			slots := 0
			for i := range graphs {
				graphs[i] = newGraph(cfg, n, r)
				slots = max(slots, graphs[i].slots)
			}
			p := rand.NewPCG(3, 4)
			s := cfg.Samples
			x := make([]float64, n*s)
			out := make([]float32, n*s)
			cache := make([]float64, slots*s)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				g := graphs[i%len(graphs)]
				g.noise(x, s, p)
				g.simulate(x, s, i%n, 10, cache)
				transpose(out, x, n, s)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sets/s")
		})
	}
}

// BenchmarkDataset measures the work of the notebook's generate_pipeline (a
// graph, 100 base rows and ceil(N/2)·3 interventional sets of 100 rows) with
// NewDataset on every core; sets/s counts interventional sets.
func BenchmarkDataset(b *testing.B) {
	for _, n := range []int{5, 20, 50} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Nodes = n
			var index, sets atomic.Int64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					d, err := NewDataset(cfg, 1, int(index.Add(1)))
					if err != nil {
						b.Error(err)
						return
					}
					sets.Add(int64(len(d.Blocks)))
				}
			})
			b.ReportMetric(float64(sets.Load())/b.Elapsed().Seconds(), "sets/s")
		})
	}
}

// BenchmarkStream measures batches of 32 episodes (each a fresh graph with a
// base set and one interventional set, S = 100) through a Stream whose
// workers use every core.
func BenchmarkStream(b *testing.B) {
	for _, n := range []int{5, 20, 50} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			s, err := NewStream(StreamConfig{SCM: DefaultConfig(), Batch: 32, MinNodes: n, MaxNodes: n,
				Workers: runtime.GOMAXPROCS(0)}, 1)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Next(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
		})
	}
}
