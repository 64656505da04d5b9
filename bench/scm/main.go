// Command bench/scm compares causeway's SCM data generation with the
// reference notebook's (seed_torch.py, run by /usr/bin/python3 in the same
// process tree, one after the other) and prints a markdown table.
//
//	go run ./bench/scm [-nodes 5,20,50] [-seconds 2] [-python /usr/bin/python3] -reference DIR
//
// Interventional sets: the notebook's SCMGenerator.generate_pipeline (a DAG,
// 100 base rows and ceil(N/2)·3 interventional sets of 100 rows), against
// scm.NewDataset doing the same work (plus the degeneracy report) on one
// core and on every core. Batches: the notebook's CausalDataset through a
// DataLoader of 32 (whose batches reuse one graph and intervention), against
// scm.Stream batches of 32 elements, each a fresh graph with its own base and
// interventional sets. Every rate is given per second of wall-clock time and
// per second of CPU time, so that a machine shared with other work still
// gives a meaningful ratio.
package main

import (
	_ "embed"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"causeway/scm"
)

//go:embed notebook.py
var notebookPy []byte

type notebookResult struct {
	Torch    string `json:"torch"`
	Pipeline map[string]struct {
		SetsPerS    float64 `json:"sets_per_s"`
		SetsPerCPUS float64 `json:"sets_per_cpu_s"`
		MsPerCall   float64 `json:"ms_per_call"`
	} `json:"pipeline"`
	Batches map[string]struct {
		BatchesPerS    float64 `json:"batches_per_s"`
		BatchesPerCPUS float64 `json:"batches_per_cpu_s"`
	} `json:"batches"`
}

func main() {
	nodesFlag := flag.String("nodes", "5,20,50", "node counts to measure")
	seconds := flag.Float64("seconds", 2, "seconds per measurement")
	python := flag.String("python", "/usr/bin/python3", "Python with torch, networkx, pandas and rich")
	reference := flag.String("reference", os.Getenv("CAUSEWAY_REFERENCE"), "directory of seed_torch.py, the PyTorch copy of the reference notebook (default $CAUSEWAY_REFERENCE; required)")
	flag.Parse()
	if *reference == "" {
		fmt.Fprintln(os.Stderr, "bench: give -reference DIR (or CAUSEWAY_REFERENCE): the directory of seed_torch.py, the PyTorch copy of the reference notebook")
		os.Exit(2)
	}
	var nodes []int
	for _, f := range strings.Split(*nodesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			fatal(fmt.Errorf("-nodes: bad node count %q", f))
		}
		nodes = append(nodes, n)
	}
	dur := time.Duration(*seconds * float64(time.Second))

	load0 := loadAvg()
	cores := runtime.GOMAXPROCS(0)
	type row struct {
		n         int
		nb        *notebookResult
		one, all  rate
		batchRate rate
	}
	var rows []row
	torch := ""
	for _, n := range nodes {
		// Alternate the two generators per N, so that a change in the
		// machine's load hits both alike.
		nb, err := runNotebook(*python, *reference, n, *seconds)
		if err != nil {
			fatal(err)
		}
		torch = nb.Torch
		rows = append(rows, row{n, nb, datasetRate(n, 1, dur), datasetRate(n, cores, dur), streamRate(n, cores, dur)})
	}

	fmt.Printf("SCM generation: causeway vs the reference notebook (torch %s); %d cores; load average %s at start, %s at end\n\n",
		torch, cores, load0, loadAvg())
	fmt.Printf("| N | notebook `generate_pipeline` | causeway, 1 core | causeway, %d cores | ratio, wall clock | sets per CPU-second, notebook / causeway | ratio per CPU-second | projected on %d free cores |\n", cores, cores)
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		p := r.nb.Pipeline[strconv.Itoa(r.n)]
		perCPU := r.all.cpu / p.SetsPerCPUS
		fmt.Printf("| %d | %.0f sets/s (%.0f ms/call) | %.0f sets/s | %.0f sets/s | %.0f× | %.0f / %.0f | %.0f× | **%.0f×** |\n",
			r.n, p.SetsPerS, p.MsPerCall, r.one.wall, r.all.wall, r.all.wall/p.SetsPerS,
			p.SetsPerCPUS, r.all.cpu, perCPU, float64(cores)*perCPU)
	}
	fmt.Println()
	fmt.Printf("| N | notebook `CausalDataset` + `DataLoader(32)` | causeway `Stream`, %d workers | batches per CPU-second, notebook / causeway | causeway sets/s in batches |\n", cores)
	fmt.Println("|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		b := r.nb.Batches[strconv.Itoa(r.n)]
		fmt.Printf("| %d | %.0f batches/s | %.0f batches/s | %.0f / %.0f | %.0f sets/s |\n",
			r.n, b.BatchesPerS, r.batchRate.wall, b.BatchesPerCPUS, r.batchRate.cpu, 64*r.batchRate.wall)
	}
	fmt.Println()
	fmt.Println("A set is 100 samples under one intervention. The ratio per CPU-second compares rates per second")
	fmt.Println("of CPU time used (causeway: all its threads, GC included), which depends much less than wall time")
	fmt.Println("on other load; the notebook is single-threaded, so on free cores causeway's lead is the number of cores")
	fmt.Println("times that ratio, which the wall-clock ratio reaches only when the cores are free. A notebook batch")
	fmt.Println("is 32 rows of one interventional set of one graph (the README's notebook defect 6): one generate_pipeline call")
	fmt.Println("makes ceil(N/2)·3·100/32 of them. A causeway batch is 32 fresh graphs, each with its own base and")
	fmt.Println("interventional set (64 sets).")
}

// rate is a throughput per second of wall-clock time and per second of this
// process's CPU time.
type rate struct{ wall, cpu float64 }

// datasetRate returns interventional sets per second of scm.NewDataset with
// the notebook's settings, on workers goroutines.
func datasetRate(n, workers int, dur time.Duration) rate {
	cfg := scm.DefaultConfig()
	cfg.Nodes = n
	var next, sets atomic.Int64
	var wg sync.WaitGroup
	cpu0 := cpuTime()
	start := time.Now()
	deadline := start.Add(dur)
	for range workers {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				d, err := scm.NewDataset(cfg, 1, int(next.Add(1)))
				if err != nil {
					fatal(err)
				}
				sets.Add(int64(len(d.Blocks)))
			}
		})
	}
	wg.Wait()
	k := float64(sets.Load())
	return rate{k / time.Since(start).Seconds(), k / (cpuTime() - cpu0).Seconds()}
}

// cpuTime returns the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// streamRate returns batches of 32 per second through an scm.Stream.
func streamRate(n, workers int, dur time.Duration) rate {
	s, err := scm.NewStream(scm.StreamConfig{SCM: scm.DefaultConfig(), Batch: 32, MinNodes: n, MaxNodes: n, Workers: workers}, 1)
	if err != nil {
		fatal(err)
	}
	cpu0 := cpuTime()
	start := time.Now()
	count := 0
	for time.Since(start) < dur {
		if _, err := s.Next(); err != nil {
			fatal(err)
		}
		count++
	}
	wall, cpu := time.Since(start), cpuTime()-cpu0
	s.Close() // the workers' batches generated ahead are counted in cpu, not in count: a slight underestimate
	return rate{float64(count) / wall.Seconds(), float64(count) / cpu.Seconds()}
}

// runNotebook times the reference generator in a Python subprocess.
func runNotebook(python, reference string, n int, seconds float64) (*notebookResult, error) {
	dir, err := os.MkdirTemp("", "bench-scm")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "notebook.py")
	if err := os.WriteFile(script, notebookPy, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(python, script, strconv.Itoa(n), strconv.FormatFloat(seconds, 'g', -1, 64))
	cmd.Dir = dir // seed_torch.py creates checkpoints/ and logs/ in its working directory
	cmd.Env = append(os.Environ(), "OPENBLAS_NUM_THREADS=1", "CAUSEWAY_REFERENCE="+reference)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("reference notebook (%s %s): %w; check `%s -c 'import torch, networkx, pandas, rich'`", python, script, err, python)
	}
	var res notebookResult
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("reference notebook output %q: %w", out, err)
	}
	return &res, nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:1], " ")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench/scm:", err)
	os.Exit(1)
}
