// Command bench/train compares the time of one training step in causeway
// with the reference notebook's PyTorch models (seed_torch.py), measured in
// the same harness, and prints a markdown table.
//
//	go run ./bench/train [-rounds 5] [-steps 3] [-variants A,B,C,D,E] [-warmup 2] [-default-threads=true]
//		[-paths CURRENT] [-f-nodes 30] [-batches 4] [-seed 1] [-cpuprofile FILE] [-python /usr/bin/python3] -reference DIR
//
// -variants may include F, Model F's step (train.DefaultConfig(F): batch 8,
// d 64, 4 axial layers; its data sets drawn at -f-nodes variables from
// scm.RegimeStream, statistics precomputed as in training); PyTorch has no
// Model F, so F's row compares the kernel paths only.
//
// -paths lists package gemm's kernel paths to time causeway on, each a
// side of its own in every round (e.g. -paths avx512,avx2; a build with
// -tags openblas adds openblas, the previous default, and the table then
// gives each path's ratio to it).
//
// A step is forward + backward + optimiser update at the notebook's
// defaults: batch 32, N=20, S=100, d_model 128, 4 layers, 4 heads, FF 2048,
// dropout 0.1 (model.DefaultConfig).
//
// causeway: exactly what train.Run does per batch — nn.Net.Step with the
// default loss weights and the annealed τ, train.ClipGradNorm (max norm 1),
// then train.Adam.Update (AdamW, weight decay 0.01, the warm-up/cosine
// learning rate), on batches drawn from an scm.Stream at N=20.
//
// PyTorch: the notebook's ModelA_Baseline … ModelE_HyperNet built with
// num_nodes=20, d_model=128 (its train_model fails for A–D and for variable
// N, so the models are called directly, as run_comparative_test does), and
// per step what train_model does per batch: optimizer.zero_grad(), forward,
// causal_loss_fn, backward, torch.optim.AdamW.step() (lr 1e-4), on fixed
// random inputs of the right shapes (delta and adjacency targets random;
// Model E gets int_node_idx = argmax of the mask). It runs in /usr/bin/python3
// as a persistent child process (embedded notebook.py, run in a temporary
// directory because seed_torch.py creates checkpoints/ and logs/ in its
// working directory; its prints are suppressed) that takes "<variant> <k>"
// on stdin and answers with the times of k steps as JSON on stdout. The
// "tuned" worker runs with OPENBLAS_NUM_THREADS=1 and torch.set_num_threads(2),
// the faster setting per the reference README; with -default-threads a
// second worker runs with torch's and OpenBLAS's own thread defaults.
//
// Data generation is excluded on both sides: the PyTorch inputs are fixed
// tensors, and causeway's batches are drawn before timing into a small pool
// (the stream is then closed, so its background workers, which in training
// prefetch batches concurrently with the steps, take no CPU during the
// timed steps). Every model is warmed up before timing (causeway's first
// step builds and compiles the graph).
//
// The machine may be shared, so the numbers are meant as ratios: each round
// times k causeway steps, then k steps of each PyTorch worker, per variant,
// the order of causeway and PyTorch alternating from round to round, so
// both see the same load. Reported per variant: the median over rounds of
// the per-round mean wall seconds per step, and the median over rounds of
// the per-round ratio causeway/PyTorch (and, with both PyTorch workers, the
// ratio to the faster of the two in each round); a second table gives the
// same in CPU seconds per step (all threads of the process), which depends
// less on other load.
package main

import (
	"bufio"
	"bytes"
	"causeway/bench/internal/machine"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"causeway/internal/gemm"
	"causeway/model"
	"causeway/nn"
	"causeway/scm"
	"causeway/train"
)

//go:embed notebook.py
var notebookPy []byte

// domainStep mirrors train.Run's per-step random stream derivation.
const domainStep = 0x5eed_57e9

// children are the Python workers, killed on a fatal error, and tmpDir
// their working directory, removed at exit.
var (
	children []*exec.Cmd
	tmpDir   string
)

func main() {
	rounds := flag.Int("rounds", 5, "alternating rounds")
	steps := flag.Int("steps", 3, "timed steps per side, variant and round")
	variantsFlag := flag.String("variants", "A,B,C,D,E", "variants to measure")
	warmup := flag.Int("warmup", 2, "untimed steps per model before timing")
	defThreads := flag.Bool("default-threads", true, "also time PyTorch with its default thread settings")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed rounds (causeway's side) to `FILE`")
	fNodes := flag.Int("f-nodes", 30, "variables N of Model F's data sets (F's training draws 5–50)")
	pathsFlag := flag.String("paths", gemm.Current().String(), "gemm kernel paths to time causeway on (comma-separated: "+fmt.Sprint(gemm.Paths())+", or "+gemm.BestName+")")
	pool := flag.Int("batches", 4, "causeway batches drawn before timing and cycled through")
	seed := flag.Uint64("seed", 1, "seed of causeway's weights, batches and dropout")
	python := flag.String("python", "/usr/bin/python3", "Python with torch, networkx, pandas and rich")
	reference := flag.String("reference", os.Getenv("CAUSEWAY_REFERENCE"), "directory of seed_torch.py, the PyTorch copy of the reference notebook (default $CAUSEWAY_REFERENCE; required unless -variants F)")
	flag.Parse()
	if *reference == "" && *variantsFlag != "F" {
		fmt.Fprintln(os.Stderr, "bench: give -reference DIR (or CAUSEWAY_REFERENCE): the directory of seed_torch.py, the PyTorch copy of the reference notebook")
		os.Exit(2)
	}
	if *rounds < 1 || *steps < 1 || *warmup < 1 || *pool < 1 {
		fatal(errors.New("-rounds, -steps, -warmup and -batches must be at least 1"))
	}
	var variants []model.Variant
	for _, f := range strings.Split(*variantsFlag, ",") {
		v, err := model.ParseVariant(f)
		if err != nil {
			fatal(fmt.Errorf("-variants: %w", err))
		}
		variants = append(variants, v)
	}

	var paths []gemm.Path
	for _, f := range strings.Split(*pathsFlag, ",") {
		p, err := gemm.ParsePath(f)
		if err == nil && !gemm.Supported(p) {
			err = fmt.Errorf("this CPU or build has no %s path (it has %v; openblas needs -tags openblas)", p, gemm.Paths())
		}
		if err != nil {
			fatal(fmt.Errorf("-paths: %w", err))
		}
		paths = append(paths, p)
	}

	load0 := loadAvg()
	dir, err := os.MkdirTemp("", "bench-train")
	if err != nil {
		fatal(err)
	}
	tmpDir = dir
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "notebook.py")
	if err := os.WriteFile(script, notebookPy, 0o644); err != nil {
		fatal(err)
	}
	var torchVariants []model.Variant
	for _, v := range variants {
		if !v.DataSet() {
			torchVariants = append(torchVariants, v)
		}
	}
	modes := []string{"tuned"}
	if len(torchVariants) == 0 {
		modes = nil
	}
	if *defThreads && modes != nil {
		modes = append(modes, "default")
	}
	// The workers build and warm up their models while causeway does the same.
	workers := make([]*worker, len(modes))
	for i, mode := range modes {
		if workers[i], err = startWorker(*python, *reference, script, mode, torchVariants, *warmup); err != nil {
			fatal(err)
		}
	}
	batches := drawBatches(*pool, *seed)
	var fBatches []*nn.DataSetBatch
	if len(torchVariants) < len(variants) {
		fBatches = drawDataSets(*pool, *fNodes, *seed)
	}
	nets := make([]*goSide, len(variants))
	for i, v := range variants {
		if nets[i], err = newGoSide(v, *seed, batches, fBatches); err != nil {
			fatal(err)
		}
		for range *warmup {
			nets[i].step()
		}
	}
	for _, w := range workers {
		if err := w.ready(); err != nil {
			fatal(err)
		}
	}

	// samples[side][variant] holds one per-round mean per round; sides
	// 0…len(paths)−1 are causeway on each kernel path, then the Python
	// workers.
	gp := len(paths)
	sides := gp + len(workers)
	wall := make([][][]float64, sides)
	cpu := make([][][]float64, sides)
	for s := range sides {
		wall[s] = make([][]float64, len(variants))
		cpu[s] = make([][]float64, len(variants))
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fatal(err)
		}
	}
	for r := range *rounds {
		for i, v := range variants {
			order := make([]int, sides)
			for s := range order {
				order[s] = s
			}
			if r%2 == 1 {
				slices.Reverse(order)
			}
			for _, s := range order {
				var w, c float64
				switch {
				case s < gp:
					gemm.Use(paths[s])
					w, c = nets[i].time(*steps)
				case v.DataSet():
					w, c = math.NaN(), math.NaN() // PyTorch has no Model F
				default:
					if w, c, err = workers[s-gp].time(v, *steps); err != nil {
						fatal(err)
					}
				}
				wall[s][i] = append(wall[s][i], w)
				cpu[s][i] = append(cpu[s][i], c)
			}
		}
		fmt.Fprintf(os.Stderr, "bench/train: round %d/%d done\n", r+1, *rounds)
	}
	pprof.StopCPUProfile()
	for _, w := range workers {
		w.stop()
	}

	goThreads := os.Getenv("OPENBLAS_NUM_THREADS")
	if goThreads == "" {
		goThreads = "1 (the default)"
	}
	fmt.Printf("Train step (forward + backward + optimiser), batch 32, N=20, S=100, d_model 128, 4 layers, 4 heads, FF 2048, dropout 0.1.\n")
	torch := "none"
	if len(workers) > 0 {
		torch = fmt.Sprintf("%s (%s)", workers[0].torch, describe(workers))
	}
	fmt.Printf("CPU: %s. causeway: gemm paths %v, GOMAXPROCS %d, OpenBLAS threads %s. PyTorch %s. %d rounds × %d steps per side and variant; %d cores, load average %s at start, %s at end.\n",
		machine.CPU(), paths, runtime.GOMAXPROCS(0), goThreads, torch, *rounds, *steps, runtime.NumCPU(), load0, loadAvg())
	if fBatches != nil {
		fmt.Printf("Model F: train.DefaultConfig(F) (batch 8, d 64, 4 heads, 4 axial layers, FF 128), data sets of N=%d from scm.RegimeStream.\n", *fNodes)
	}
	fmt.Println()
	printTable("Wall seconds per step", variants, paths, workers, wall)
	printTable("CPU seconds per step (all threads of the process)", variants, paths, workers, cpu)
	fmt.Println("Times: median over rounds of each round's mean per step. Ratios: median over rounds of the")
	fmt.Println("per-round ratio (< 1: the path is faster); \"faster PyTorch\" takes, per round, the faster of the")
	fmt.Println("PyTorch settings.")
	fmt.Println("Tuned is the faster PyTorch setting on free cores (reference README); on a loaded machine its")
	fmt.Println("two OpenMP threads wait for each other and the default setting can win. Data generation is")
	fmt.Println("excluded on both sides (causeway's batches are drawn before timing; in training its stream")
	fmt.Println("prefetches them in the background).")
}

// printTable prints one markdown table of per-variant medians and ratios:
// each kernel path's time, each PyTorch worker's, then per path the ratio
// to the faster PyTorch setting in each round and, when openblas is one of
// the paths, the ratio to it.
func printTable(title string, variants []model.Variant, paths []gemm.Path, workers []*worker, x [][][]float64) {
	gp := len(paths)
	blas := slices.Index(paths, gemm.OpenBLAS)
	fmt.Printf("%s:\n\n", title)
	head := "| variant |"
	rule := "|---|"
	for _, p := range paths {
		head += fmt.Sprintf(" causeway %s |", p)
		rule += "---:|"
	}
	for _, w := range workers {
		head += fmt.Sprintf(" PyTorch %s |", w.mode)
		rule += "---:|"
	}
	for _, p := range paths {
		head += fmt.Sprintf(" %s / faster PyTorch |", p)
		rule += "---:|"
	}
	if blas >= 0 {
		for _, p := range paths {
			if p != gemm.OpenBLAS {
				head += fmt.Sprintf(" %s / openblas |", p)
				rule += "---:|"
			}
		}
	}
	fmt.Println(head)
	fmt.Println(rule)
	ratio := func(a, b []float64) float64 {
		r := make([]float64, len(a))
		for i := range r {
			r[i] = a[i] / b[i]
		}
		return median(r)
	}
	for i, v := range variants {
		line := fmt.Sprintf("| %s |", v)
		for s := range gp {
			line += fmt.Sprintf(" %.3f |", median(x[s][i]))
		}
		if v.DataSet() || len(workers) == 0 {
			for range workers {
				line += " — |"
			}
			for range gp {
				line += " — |"
			}
		} else {
			best := slices.Clone(x[gp][i])
			for s := range workers {
				line += fmt.Sprintf(" %.3f |", median(x[gp+s][i]))
				for r := range best {
					best[r] = min(best[r], x[gp+s][i][r])
				}
			}
			for s := range gp {
				line += fmt.Sprintf(" **%.2f** |", ratio(x[s][i], best))
			}
		}
		if blas >= 0 {
			for s, p := range paths {
				if p != gemm.OpenBLAS {
					line += fmt.Sprintf(" **%.2f** |", ratio(x[s][i], x[blas][i]))
				}
			}
		}
		fmt.Println(line)
	}
	fmt.Println()
}

func describe(workers []*worker) string {
	var parts []string
	for _, w := range workers {
		parts = append(parts, w.mode+": "+w.label())
	}
	return strings.Join(parts, "; ")
}

// drawBatches returns n batches of 32 elements at N=20 from the notebook's
// prior, then closes the stream so that no generation runs while timing.
func drawBatches(n int, seed uint64) []*nn.Batch {
	s, err := scm.NewStream(scm.StreamConfig{SCM: scm.DefaultConfig(), Batch: 32, MinNodes: 20, MaxNodes: 20}, seed)
	if err != nil {
		fatal(err)
	}
	defer s.Close()
	out := make([]*nn.Batch, n)
	for i := range out {
		b, err := s.Next()
		if err != nil {
			fatal(err)
		}
		out[i] = &nn.Batch{Pairs: b.Pairs, Delta: b.Delta, Adj: b.Adj}
	}
	return out
}

// drawDataSets returns n batches of Model F's training data sets at n
// variables, then closes the stream.
func drawDataSets(count, nodes int, seed uint64) []*nn.DataSetBatch {
	cfg := train.DefaultConfig(model.VariantF)
	s, err := scm.NewRegimeStream(scm.RegimeStreamConfig{Prior: cfg.Regimes, Batch: cfg.Batch, MinNodes: nodes, MaxNodes: nodes}, seed)
	if err != nil {
		fatal(err)
	}
	defer s.Close()
	out := make([]*nn.DataSetBatch, count)
	for i := range out {
		b, err := s.Next()
		if err != nil {
			fatal(err)
		}
		out[i] = train.RegimeBatch(b)
	}
	return out
}

// goSide is one causeway variant with the trainer's optimiser state.
type goSide struct {
	cfg     train.Config
	net     *nn.Net
	names   []string
	live    map[string][]float32
	adam    *train.Adam
	sched   train.Schedule
	temp    train.Temperature
	batches []*nn.Batch
	sets    []*nn.DataSetBatch // Model F's batches
	n       int                // steps done
}

func newGoSide(v model.Variant, seed uint64, batches []*nn.Batch, sets []*nn.DataSetBatch) (*goSide, error) {
	cfg := train.DefaultConfig(v)
	if v.DataSet() {
		batches = nil
	} else {
		sets = nil
	}
	cfg.MinNodes, cfg.MaxNodes, cfg.Seed = 20, 20, seed
	p, err := model.Init(cfg.Model, cfg.Seed)
	if err != nil {
		return nil, err
	}
	net, err := nn.NewNet(cfg.Model, p)
	if err != nil {
		return nil, err
	}
	g := &goSide{cfg: cfg, net: net, names: net.Names(), live: map[string][]float32{},
		adam:    train.NewAdam(cfg.WeightDecay),
		sched:   train.Schedule{Peak: cfg.LR, Warmup: cfg.Warmup, Total: cfg.Steps, MinFactor: cfg.MinLRFactor},
		temp:    train.Temperature{Start: cfg.TauStart, End: cfg.TauEnd, Total: cfg.Steps},
		batches: batches, sets: sets}
	for name, t := range net.Params() {
		g.live[name] = t.Data
	}
	return g, nil
}

// step does one training step as train.Run does (minus logging).
func (g *goSide) step() {
	g.n++
	rng := rand.New(rand.NewPCG(g.cfg.Seed^domainStep, uint64(g.n)))
	var total float64
	var err error
	if g.sets != nil {
		var loss nn.DataSetLoss
		loss, err = g.net.StepDataSet(g.sets[g.n%len(g.sets)], g.cfg.DataSetLoss, rng)
		total = loss.Total
	} else {
		var loss nn.Loss
		loss, err = g.net.Step(g.batches[g.n%len(g.batches)], g.cfg.Loss, g.temp.At(g.n), rng)
		total = loss.Total
	}
	if err != nil {
		fatal(fmt.Errorf("causeway %s step %d: %w", g.cfg.Model.Variant, g.n, err))
	}
	grads := g.net.Grads()
	norm := train.ClipGradNorm(g.names, grads, g.cfg.ClipNorm)
	if math.IsNaN(total) || math.IsInf(total, 0) || math.IsNaN(norm) || math.IsInf(norm, 0) {
		g.adam.Step++ // as the trainer: a non-finite step is skipped
		return
	}
	if err := g.adam.Update(g.names, g.live, grads, g.sched.At(g.n)); err != nil {
		fatal(err)
	}
}

// time runs k steps and returns the mean wall and CPU seconds per step.
func (g *goSide) time(k int) (wall, cpu float64) {
	c0 := cpuTime()
	t0 := time.Now()
	for range k {
		g.step()
	}
	return time.Since(t0).Seconds() / float64(k), (cpuTime() - c0).Seconds() / float64(k)
}

// worker is a persistent Python process timing the notebook's models.
type worker struct {
	mode    string
	cmd     *exec.Cmd
	in      *bufio.Writer
	inPipe  interface{ Close() error }
	out     *bufio.Reader
	stderr  *syncBuffer
	torch   string
	threads int
	blas    string
}

// startWorker starts the Python worker script (in its directory) for one
// thread mode; it builds and warms up its models in the background.
func startWorker(python, reference, script, mode string, variants []model.Variant, warmup int) (*worker, error) {
	vs := make([]string, len(variants))
	for i, v := range variants {
		vs[i] = string(v)
	}
	cmd := exec.Command(python, script, strings.Join(vs, ","), mode, strconv.Itoa(warmup))
	cmd.Dir = filepath.Dir(script) // seed_torch.py creates checkpoints/ and logs/ in its working directory
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "OPENBLAS_NUM_THREADS=") {
			env = append(env, e)
		}
	}
	if mode == "tuned" {
		env = append(env, "OPENBLAS_NUM_THREADS=1")
	}
	cmd.Env = append(env, "CAUSEWAY_REFERENCE="+reference)
	w := &worker{mode: mode, cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stderr = w.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", python, err)
	}
	children = append(children, cmd)
	w.in, w.inPipe, w.out = bufio.NewWriter(in), in, bufio.NewReader(out)
	return w, nil
}

// reply reads one JSON line from the worker into v.
func (w *worker) reply(v any) error {
	line, err := w.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("PyTorch worker (%s): %w; its stderr:\n%s\ncheck `%s -c 'import torch, networkx, pandas, rich'`",
			w.mode, err, w.stderr.String(), w.cmd.Path)
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("PyTorch worker (%s) output %q: %w", w.mode, line, err)
	}
	return nil
}

// ready waits for the worker's models to be built and warmed up.
func (w *worker) ready() error {
	var r struct {
		Torch   string `json:"torch"`
		Threads int    `json:"torch_threads"`
		BLAS    string `json:"openblas_threads"`
	}
	if err := w.reply(&r); err != nil {
		return err
	}
	w.torch, w.threads, w.blas = r.Torch, r.Threads, r.BLAS
	return nil
}

func (w *worker) label() string {
	blas := w.blas
	if blas == "" {
		blas = "default"
	}
	return fmt.Sprintf("torch threads %d, OpenBLAS threads %s", w.threads, blas)
}

// time asks for k steps of v and returns the mean wall and CPU seconds per
// step.
func (w *worker) time(v model.Variant, k int) (wall, cpu float64, err error) {
	if _, err := fmt.Fprintf(w.in, "%s %d\n", v, k); err != nil {
		return 0, 0, err
	}
	if err := w.in.Flush(); err != nil {
		return 0, 0, err
	}
	var r struct {
		Wall []float64 `json:"wall"`
		CPU  []float64 `json:"cpu"`
	}
	if err := w.reply(&r); err != nil {
		return 0, 0, err
	}
	if len(r.Wall) != k || len(r.CPU) != k {
		return 0, 0, fmt.Errorf("PyTorch worker (%s): asked for %d steps, got %d", w.mode, k, len(r.Wall))
	}
	return mean(r.Wall), mean(r.CPU), nil
}

func (w *worker) stop() {
	fmt.Fprintln(w.in, "quit")
	w.in.Flush()
	w.inPipe.Close()
	if err := w.cmd.Wait(); err != nil {
		fmt.Fprintf(os.Stderr, "bench/train: PyTorch worker (%s): %v\n%s", w.mode, err, w.stderr.String())
	}
}

// syncBuffer collects a child's stderr; it may be read while the child runs.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// cpuTime returns the user and system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench/train:", err)
	for _, c := range children {
		if c.Process != nil {
			c.Process.Kill()
		}
	}
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	os.Exit(1)
}
