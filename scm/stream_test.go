package scm

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func smallStream(workers, queue int) StreamConfig {
	cfg := DefaultConfig()
	cfg.Samples = 16
	return StreamConfig{SCM: cfg, Batch: 4, MinNodes: 5, MaxNodes: 12, Workers: workers, Queue: queue}
}

func takeBatches(t *testing.T, cfg StreamConfig, seed uint64, n int) []*Batch {
	t.Helper()
	s, err := NewStream(cfg, seed)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := make([]*Batch, n)
	for i := range out {
		if out[i], err = s.Next(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestStreamDeterministicAcrossWorkers: 1, 2, 4 and 8 workers (and queue
// sizes) yield identical batches in the same order.
func TestStreamDeterministicAcrossWorkers(t *testing.T) {
	want := takeBatches(t, smallStream(1, 1), 99, 8)
	for _, wq := range [][2]int{{2, 2}, {4, 1}, {4, 16}, {8, 3}} {
		got := takeBatches(t, smallStream(wq[0], wq[1]), 99, 8)
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Fatalf("workers %d queue %d: batch %d differs", wq[0], wq[1], i)
			}
		}
	}
	sizes := map[int]bool{}
	for i, b := range want {
		if b.Index != i {
			t.Errorf("batch %d has Index %d", i, b.Index)
		}
		if b.N < 5 || b.N > 12 {
			t.Errorf("batch %d has N=%d outside 5–12", i, b.N)
		}
		sizes[b.N] = true
		if len(b.Base) != b.B*b.S*b.N || len(b.Adj) != b.B*b.N*b.N || len(b.Delta) != b.B*b.N {
			t.Errorf("batch %d: bad sizes", i)
		}
	}
	if len(sizes) < 3 {
		t.Errorf("8 batches drew only node counts %v", sizes)
	}
}

// TestStreamFreshElements: every element of a batch has its own graph, and
// different seeds give different batches.
func TestStreamFreshElements(t *testing.T) {
	cfg := smallStream(2, 2)
	cfg.MinNodes, cfg.MaxNodes, cfg.Batch = 10, 10, 16
	b := takeBatches(t, cfg, 1, 1)[0]
	nn := b.N * b.N
	distinct := map[string]bool{}
	for k := range b.B {
		ep := b.Episode(k)
		distinct[string(adjPattern(ep.Adj))] = true
		checkEpisodeShape(t, ep, false)
		if ep.Node != b.Nodes[k] || &ep.Adj[0] != &b.Adj[k*nn] {
			t.Fatal("Episode(k) does not alias element k")
		}
	}
	if len(distinct) < b.B-1 {
		t.Errorf("only %d distinct graphs among %d elements", len(distinct), b.B)
	}
	other := takeBatches(t, cfg, 2, 1)[0]
	if slices.Equal(other.Adj, b.Adj) {
		t.Error("seeds 1 and 2 gave the same graphs")
	}
}

func adjPattern(a []float32) []byte {
	out := make([]byte, len(a))
	for i, v := range a {
		if v != 0 {
			out[i] = 1
		}
	}
	return out
}

// TestStreamStart: a stream started at batch 3 yields batches 3, 4, ... of
// the stream started at 0.
func TestStreamStart(t *testing.T) {
	all := takeBatches(t, smallStream(2, 2), 5, 6)
	cfg := smallStream(3, 2)
	cfg.Start = 3
	resumed := takeBatches(t, cfg, 5, 3)
	for i, b := range resumed {
		if !reflect.DeepEqual(b, all[3+i]) {
			t.Fatalf("resumed batch %d differs from batch %d", i, 3+i)
		}
	}
}

func TestStreamCloseAndConcurrentNext(t *testing.T) {
	s, err := NewStream(smallStream(2, 2), 1)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int]bool{}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 5 {
				b, err := s.Next()
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if seen[b.Index] {
					t.Errorf("batch %d returned twice", b.Index)
				}
				seen[b.Index] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Errorf("%d distinct batches from 20 calls", len(seen))
	}
	done := make(chan struct{})
	go func() { s.Close(); s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := s.Next(); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close: %v, want ErrClosed", err)
	}
}

func TestHeldOut(t *testing.T) {
	cfg := smallStream(1, 1)
	a, err := HeldOut(cfg, 5, 7)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workers = 4
	b, _ := HeldOut(cfg, 5, 7)
	if !reflect.DeepEqual(a, b) {
		t.Error("HeldOut depends on the number of workers")
	}
	train := takeBatches(t, cfg, 7, 5)
	for i := range a {
		if a[i].Index != i {
			t.Errorf("held-out batch %d has Index %d", i, a[i].Index)
		}
		if slices.Equal(a[i].Base, train[i].Base) {
			t.Errorf("held-out batch %d equals training batch %d of the same seed", i, i)
		}
	}
	h := a[4].Head(2)
	if h.B != 2 || len(h.Base) != 2*h.S*h.N || h.Nodes[1] != a[4].Nodes[1] || len(h.Adj) != 2*h.N*h.N {
		t.Errorf("Head(2) = B %d, %d base values", h.B, len(h.Base))
	}
	if none, err := HeldOut(cfg, 0, 7); err != nil || len(none) != 0 {
		t.Errorf("HeldOut(0) = %d batches, %v", len(none), err)
	}
}

func TestStreamConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		edit func(*StreamConfig)
		want string
	}{
		{"batch", func(c *StreamConfig) { c.Batch = -1 }, "batch must be at least 1"},
		{"range", func(c *StreamConfig) { c.MinNodes, c.MaxNodes = 10, 5 }, "node range"},
		{"one node", func(c *StreamConfig) { c.MinNodes, c.MaxNodes = 1, 5 }, "node range"},
		{"workers", func(c *StreamConfig) { c.Workers = -2 }, "workers and queue"},
		{"start", func(c *StreamConfig) { c.Start = -1 }, "start must be"},
		{"scm", func(c *StreamConfig) { c.SCM.Pairing = "x" }, "unknown pairing"},
		{"er degree at min nodes", func(c *StreamConfig) { c.SCM.Prior, c.SCM.Degree = PriorER, 3 }, "too large for the er prior with 5 nodes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallStream(1, 1)
			tc.edit(&cfg)
			if _, err := NewStream(cfg, 1); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewStream error %v, want %q", err, tc.want)
			}
			if _, err := HeldOut(cfg, 1, 1); err == nil {
				t.Error("HeldOut accepted the config")
			}
		})
	}
	// Zero fields take defaults.
	s, err := NewStream(StreamConfig{SCM: DefaultConfig()}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c := s.Config(); c.Batch != 32 || c.MinNodes != 20 || c.MaxNodes != 20 || c.Workers < 1 || c.Queue != 2*c.Workers {
		t.Errorf("defaults: %+v", c)
	}
}
