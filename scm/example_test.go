package scm_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"causeway/scm"
)

// A Stream yields training batches; every element is a fresh graph and
// intervention, and the seed fixes them all.
func ExampleNewStream() {
	cfg := scm.StreamConfig{SCM: scm.DefaultConfig(), Batch: 32, MinNodes: 20, MaxNodes: 50}
	s, err := scm.NewStream(cfg, 1)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	for range 2 {
		b, err := s.Next()
		if err != nil {
			panic(err)
		}
		fmt.Printf("batch %d: B=%d S=%d N=%d, base_samples %d values, adjacency %d values\n",
			b.Index, b.B, b.S, b.N, len(b.Base), len(b.Adj))
	}
	// Output:
	// batch 0: B=32 S=100 N=47, base_samples 150400 values, adjacency 70688 values
	// batch 1: B=32 S=100 N=48, base_samples 153600 values, adjacency 73728 values
}

// HeldOut gives a fixed validation set, never overlapping the training
// stream of the same seed.
func ExampleHeldOut() {
	val, err := scm.HeldOut(scm.StreamConfig{SCM: scm.DefaultConfig(), Batch: 8}, 3, 1)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(val), "batches of", val[0].B, "episodes over", val[0].N, "nodes")
	// Output: 3 batches of 8 episodes over 20 nodes
}

// NewEpisode draws one element of the tensor contract; with the
// counterfactual pairing delta is exactly 0 off the intervened node's
// descendants.
func ExampleNewEpisode() {
	cfg := scm.DefaultConfig()
	cfg.Nodes, cfg.Pairing = 6, scm.PairingCounterfactual
	ep, err := scm.NewEpisode(cfg, 2)
	if err != nil {
		panic(err)
	}
	zero := make([]bool, ep.N)
	for v, d := range ep.Delta {
		zero[v] = d == 0
	}
	fmt.Println(ep)
	fmt.Println("int_mask   ", ep.Mask)
	fmt.Println("delta == 0 ", zero)
	// Output:
	// episode N=6 S=100 do(x2=10)
	// int_mask    [0 0 1 0 0 0]
	// delta == 0  [true true false false false true]
}

// NewGraph draws a DAG from a prior; Sample draws from it, here under
// do(X_k = 5) on the first node of the topological order.
func ExampleGraph_Sample() {
	cfg := scm.DefaultConfig()
	cfg.Nodes, cfg.Prior, cfg.Degree = 10, scm.PriorER, 1.5
	r := rand.New(rand.NewPCG(1, 2))
	g, err := scm.NewGraph(cfg, r)
	if err != nil {
		panic(err)
	}
	k := g.Order[0]
	x := g.Sample(r, 4, &scm.Intervention{Node: k, Value: 5})
	fmt.Println(g.NumEdges(), "edges; descendants of", k, "are", g.Descendants(k))
	fmt.Println("row 0, intervened column:", x[0*g.N+k])
	// Output:
	// 14 edges; descendants of 4 are [0 2 5 6 7]
	// row 0, intervened column: 5
}

// Write writes graph directories as `causeway scm` does; LoadDataset reads one
// back with its true adjacency.
func ExampleLoadDataset() {
	dir, _ := os.MkdirTemp("", "scm-example")
	defer os.RemoveAll(dir)
	cfg := scm.DefaultConfig()
	cfg.Nodes = 5
	if err := scm.Write(context.Background(), dir, cfg, 2, 7, scm.WriteOptions{}); err != nil {
		panic(err)
	}
	d, err := scm.LoadDataset(filepath.Join(dir, scm.GraphDirName(1)))
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Names, d.ObsRows(), "observational rows,", len(d.Blocks), "interventional blocks")
	fmt.Println("first block: do(", d.Names[d.Blocks[0].Node], "=", d.Blocks[0].Value, ")")
	// Output:
	// [x0 x1 x2 x3 x4] 100 observational rows, 9 interventional blocks
	// first block: do( x4 = 5 )
}

func ExampleMechanism_Apply() {
	for _, m := range []scm.Mechanism{scm.Linear, scm.Quadratic, scm.Cubic, scm.Exp} {
		fmt.Printf("%s(7) = %.4g\n", m, m.Apply(7))
	}
	// Output:
	// linear(7) = 14
	// quadratic(7) = 25
	// cubic(7) = 27
	// exp(7) = 148.4
}

func ExampleReport() {
	d, _ := scm.NewDataset(scm.DefaultConfig(), 7, 0)
	fmt.Printf("%.0f%% of values clipped\n", 100*d.Report.ClipFraction())
	// Output: 26% of values clipped
}
