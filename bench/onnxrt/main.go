// Command bench/onnxrt compares the latency of causeway's pure-Go ONNX
// executor (package onnxrt) with onnxruntime (onnxruntime-node, driven
// through tests/interop/bench.mjs in a child process) on the same .onnx
// files and inputs, and prints a markdown table.
//
//	go run ./bench/onnxrt [-variants A,D] [-batches 1,32] [-n 20] [-s 100] [-seconds 3] [-rounds 6]
//		[-paths CURRENT] [-gonnx] [-cpuprofile PREFIX]
//
// It exports freshly initialised models of the default size (d_model 128,
// 4 heads, 4 layers, FF 2048), draws one input batch per B, and for each
// (variant, B) warms both runtimes up and then alternates rounds of timed
// calls — Go, onnxruntime, Go, onnxruntime, ... — so that both see the
// same machine load (the machine may be shared). Both run single-threaded:
// onnxruntime with intraOpNumThreads 1, the Go executor on one goroutine.
// -paths lists package gemm's kernel paths to time the executor on (e.g.
// avx512,avx2), each its own turn in every round. Times are the median (and
// minimum) wall time per call over all rounds. With -gonnx it also times the generic gonnx
// path (onnxrt.LoadGonnx) for a few calls. With -cpuprofile P it writes a
// CPU profile of the Go executor's timed calls of each case to
// P-<variant>-<B>.prof.
package main

import (
	"bufio"
	"causeway/bench/internal/machine"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"causeway/contract"
	"causeway/internal/gemm"

	"causeway/export"
	"causeway/model"
	"causeway/onnxrt"
)

type tensor struct {
	Dims []int     `json:"dims"`
	Data []float32 `json:"data"`
}

type job struct {
	Label   string            `json:"label"`
	Model   string            `json:"model"`
	Inputs  map[string]tensor `json:"inputs"`
	Warmup  int               `json:"warmup"`
	Threads int               `json:"threads"`
}

// benchCase is one (variant, B) comparison.
type benchCase struct {
	variant model.Variant
	b       int
	m       *onnxrt.Model
	path    string
	in      contract.Pairs
	goMS    [][]float64 // per gemm path
	ortMS   []float64
	gonnxMS float64
}

type options struct {
	variants, batches string
	n, s              int
	seconds           float64
	rounds, warmup    int
	threads           int
	gonnx             bool
	interop           string
	cpuprofile        string
	paths             []gemm.Path
}

func main() {
	var o options
	flag.StringVar(&o.variants, "variants", "A,D", "variants to export, comma-separated")
	flag.StringVar(&o.batches, "batches", "1,32", "batch sizes B, comma-separated")
	flag.IntVar(&o.n, "n", 20, "nodes N")
	flag.IntVar(&o.s, "s", 100, "samples S")
	flag.Float64Var(&o.seconds, "seconds", 3, "approximate timed seconds per case and runtime")
	flag.IntVar(&o.rounds, "rounds", 6, "alternating rounds per case")
	flag.IntVar(&o.warmup, "warmup", 5, "untimed calls before timing")
	flag.IntVar(&o.threads, "threads", 1, "onnxruntime intra-op threads")
	flag.BoolVar(&o.gonnx, "gonnx", false, "also time the generic gonnx path (slow)")
	flag.StringVar(&o.interop, "interop", "tests/interop", "directory with bench.mjs and node_modules/onnxruntime-node")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write CPU profiles of the Go executor's timed calls to `PREFIX`-<variant>-<B>.prof")
	pathsFlag := flag.String("paths", gemm.Current().String(), "gemm kernel paths to time the executor on (comma-separated: "+fmt.Sprint(gemm.Paths())+", or "+gemm.BestName+")")
	flag.Parse()
	for _, f := range strings.Split(*pathsFlag, ",") {
		p, err := gemm.ParsePath(f)
		if err == nil && (!gemm.Supported(p) || p == gemm.OpenBLAS) {
			err = fmt.Errorf("no %s path for the executor here (it has %v)", p, gemm.Paths())
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/onnxrt: -paths:", err)
			os.Exit(2)
		}
		o.paths = append(o.paths, p)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/onnxrt:", err)
		os.Exit(1)
	}
}

// ort drives a bench.mjs process.
type ort struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startORT(node, interop, jobsPath string) (*ort, error) {
	cmd := exec.Command(node, filepath.Join(interop, "bench.mjs"), jobsPath)
	cmd.Dir = interop
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	o := &ort{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	o.out.Buffer(make([]byte, 1<<20), 1<<24)
	if !o.out.Scan() || o.out.Text() != "ready" {
		o.close()
		return nil, fmt.Errorf("onnxruntime-node did not start (%v)", o.out.Err())
	}
	return o, nil
}

func (o *ort) time(index, reps int) ([]float64, error) {
	if _, err := fmt.Fprintf(o.in, "%d %d\n", index, reps); err != nil {
		return nil, err
	}
	if !o.out.Scan() {
		return nil, fmt.Errorf("onnxruntime-node stopped (%v)", o.out.Err())
	}
	var ms []float64
	if err := json.Unmarshal(o.out.Bytes(), &ms); err != nil {
		return nil, fmt.Errorf("onnxruntime-node: %w: %s", err, o.out.Text())
	}
	return ms, nil
}

func (o *ort) close() {
	o.in.Close()
	o.cmd.Wait()
}

func run(o options) error {
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node is not installed: %w", err)
	}
	interop, err := filepath.Abs(o.interop)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(interop, "node_modules", "onnxruntime-node")); err != nil {
		return fmt.Errorf("onnxruntime-node is not installed in %s: run `cd tests/interop && ONNXRUNTIME_NODE_INSTALL=skip npm ci`", interop)
	}
	tmp, err := os.MkdirTemp("", "bench-onnxrt-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var vs []model.Variant
	for _, f := range strings.Split(o.variants, ",") {
		v, err := model.ParseVariant(f)
		if err != nil {
			return err
		}
		vs = append(vs, v)
	}
	var bs []int
	for _, f := range strings.Split(o.batches, ",") {
		b, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || b < 1 {
			return fmt.Errorf("-batches: %q is not a positive integer", f)
		}
		bs = append(bs, b)
	}

	var cases []*benchCase
	var jobs []job
	var plans []string
	for _, v := range vs {
		c := model.DefaultConfig(v)
		p, err := model.Init(c, 1)
		if err != nil {
			return err
		}
		mp, err := export.Build(c, p, export.Metadata{Version: "bench"})
		if err != nil {
			return err
		}
		path := filepath.Join(tmp, fmt.Sprintf("model-%s.onnx", strings.ToLower(string(v))))
		if err := export.WriteFile(path, mp); err != nil {
			return err
		}
		m, err := onnxrt.Load(path)
		if err != nil {
			return err
		}
		plans = append(plans, fmt.Sprintf("%s: %s", v, m.Plan()))
		for _, b := range bs {
			in := inputs(b, o.s, o.n)
			cases = append(cases, &benchCase{variant: v, b: b, m: m, path: path, in: in})
			jobs = append(jobs, job{
				Label: fmt.Sprintf("%s/%d", v, b), Model: path, Warmup: o.warmup, Threads: o.threads,
				Inputs: map[string]tensor{
					contract.BaseSamples: {[]int{b, o.s, o.n}, in.Base},
					contract.IntSamples:  {[]int{b, o.s, o.n}, in.Int},
					contract.TargetRow:   {[]int{b, o.n}, in.Target},
					contract.IntMask:     {[]int{b, o.n}, in.Mask},
				},
			})
		}
	}
	data, err := json.Marshal(jobs)
	if err != nil {
		return err
	}
	jobsPath := filepath.Join(tmp, "jobs.json")
	if err := os.WriteFile(jobsPath, data, 0o644); err != nil {
		return err
	}
	rt, err := startORT(node, interop, jobsPath)
	if err != nil {
		return err
	}
	defer rt.close()

	for i, c := range cases {
		if err := measure(c, i, rt, o); err != nil {
			return fmt.Errorf("%s B=%d: %w", c.variant, c.b, err)
		}
	}

	fmt.Printf("CPU: %s. N=%d, S=%d, default size (d_model 128, 4 heads, 4 layers, FF 2048); %s/%s, GOMAXPROCS %d; Go executor: one goroutine, gemm paths %v (plans below); onnxruntime-node: intra-op threads %d; %d alternating rounds per case\n\n",
		machine.CPU(), o.n, o.s, runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), o.paths, o.threads, o.rounds)
	header := "| model | B |"
	sep := "| --- | ---: |"
	for _, p := range o.paths {
		header += fmt.Sprintf(" Go %s ms (min) |", p)
		sep += " ---: |"
	}
	header += " onnxruntime ms (min) |"
	sep += " ---: |"
	for _, p := range o.paths {
		header += fmt.Sprintf(" Go %s / onnxruntime |", p)
		sep += " ---: |"
	}
	if o.gonnx {
		header += " gonnx generic ms |"
		sep += " ---: |"
	}
	fmt.Println(header)
	fmt.Println(sep)
	for _, c := range cases {
		r := median(c.ortMS)
		line := fmt.Sprintf("| %s | %d |", c.variant, c.b)
		for _, g := range c.goMS {
			line += fmt.Sprintf(" %.2f (%.2f) |", median(g), slices.Min(g))
		}
		line += fmt.Sprintf(" %.2f (%.2f) |", r, slices.Min(c.ortMS))
		for _, g := range c.goMS {
			line += fmt.Sprintf(" **%.2f×** |", median(g)/r)
		}
		if o.gonnx {
			line += fmt.Sprintf(" %.1f |", c.gonnxMS)
		}
		fmt.Println(line)
	}
	fmt.Println()
	for _, p := range plans {
		fmt.Println("plan", p)
	}
	return nil
}

// measure warms the Go executor up, then alternates rounds of Go and
// onnxruntime calls.
func measure(c *benchCase, index int, rt *ort, o options) error {
	start := time.Now()
	if _, err := c.m.Run(c.in); err != nil {
		return err
	}
	for i := 0; i < o.warmup; i++ {
		if _, err := c.m.Run(c.in); err != nil {
			return err
		}
	}
	per := time.Since(start).Seconds() / float64(o.warmup+1)
	c.goMS = make([][]float64, len(o.paths))
	reps := max(3, int(o.seconds/per/float64(o.rounds)))
	var prof *os.File
	if o.cpuprofile != "" {
		var err error
		if prof, err = os.Create(fmt.Sprintf("%s-%s-%d.prof", o.cpuprofile, c.variant, c.b)); err != nil {
			return err
		}
		defer prof.Close()
	}
	for r := 0; r < o.rounds; r++ {
		if prof != nil {
			if err := pprof.StartCPUProfile(prof); err != nil {
				return err
			}
		}
		for pi, p := range o.paths {
			gemm.Use(p)
			for i := 0; i < reps; i++ {
				t := time.Now()
				if _, err := c.m.Run(c.in); err != nil {
					return err
				}
				c.goMS[pi] = append(c.goMS[pi], float64(time.Since(t).Nanoseconds())/1e6)
			}
		}
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
			// Later rounds append to the profile by name: keep the first
			// round only (one profile per case), plenty of samples.
			prof = nil
		}
		ms, err := rt.time(index, reps)
		if err != nil {
			return err
		}
		c.ortMS = append(c.ortMS, ms...)
	}
	if o.gonnx {
		data, err := os.ReadFile(c.path)
		if err != nil {
			return err
		}
		g, err := onnxrt.LoadGonnx(data)
		if err != nil {
			return err
		}
		var ms []float64
		for i := 0; i < 4; i++ {
			t := time.Now()
			if _, err := onnxrt.RunGonnx(g, c.in); err != nil {
				return fmt.Errorf("gonnx: %w", err)
			}
			if i > 0 {
				ms = append(ms, float64(time.Since(t).Nanoseconds())/1e6)
			}
		}
		c.gonnxMS = median(ms)
	}
	return nil
}

// inputs draws one batch of well-scaled columns with one intervened node
// per element.
func inputs(b, s, n int) contract.Pairs {
	rng := rand.New(rand.NewPCG(uint64(b), uint64(n)))
	in := contract.Pairs{B: b, S: s, N: n,
		Base: make([]float32, b*s*n), Int: make([]float32, b*s*n),
		Target: make([]float32, b*n), Mask: make([]float32, b*n)}
	for bi := 0; bi < b; bi++ {
		node := rng.IntN(n)
		in.Mask[bi*n+node] = 1
		for j := 0; j < n; j++ {
			for k := 0; k < s; k++ {
				in.Base[(bi*s+k)*n+j] = float32(rng.NormFloat64())
				v := rng.NormFloat64()
				if j == node {
					v = 5
				}
				in.Int[(bi*s+k)*n+j] = float32(v)
			}
			in.Target[bi*n+j] = float32(rng.NormFloat64())
		}
	}
	return in
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
