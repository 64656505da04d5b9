// Command bench/serve measures `causeway serve` on loopback: requests per
// second, p50/p99 latency and server CPU time per request of POST /predict
// for 1 and 16 concurrent clients, next to the raw executor on the same
// inputs (so the HTTP and JSON overhead is visible) and next to minimal
// Node.js servers running the same .onnx file with onnxruntime-node
// (tests/interop/serve.mjs), one with onnxruntime's default intra-op
// threads (one per core) and one with a single thread. It also reports the
// resident memory of a server holding all five default-size models A–E.
// A second causeway target sends the same tensors to the same server
// through OIP infer with binary tensor data (no JSON numbers), which
// separates the cost of HTTP from that of JSON. It also measures the fixed
// cost of any request to the server (one client
// getting GET /v2/health/live: no body, no JSON, no model), which bounds
// from below what HTTP can cost. It prints markdown.
//
//	go run ./bench/serve [-variant A] [-n 20] [-s 100] [-clients 1,16] [-seconds 3] [-rounds 3]
//	                     [-node node] [-node-threads 0,1] [-interop tests/interop] [-memory=true]
//	                     [-models models] [-max-concurrency N] [-cpuprofile FILE]
//
// The served model is the shipped models/model-<v>.onnx when it exists,
// else a default-size one (d_model 128, 4 heads, 4 layers, FF 2048) from
// freshly initialised weights. The causeway server runs in a
// child process (this program re-executed, serving through package serve
// as `causeway serve` does, access log on), each Node server in another;
// the load generator (closed loop: each client sends its next request when
// the previous answer is in) and the in-process executor baseline (at most
// one goroutine per core) run here. Targets alternate round by round so
// that all see the same machine load. Server CPU time comes from
// /proc/PID/stat (the executor's from getrusage). Every answer must be
// 200; the first of each server is checked against the executor.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"causeway/contract"

	"causeway/api"
	"causeway/export"
	"causeway/model"
	"causeway/onnxrt"
	"causeway/serve"
)

type options struct {
	variant     string
	n, s        int
	clients     string
	seconds     float64
	rounds      int
	node        string
	nodeThreads string
	interop     string
	memory      bool
	maxRequests int
	cpuprofile  string
	shipped     string

	maxConcurrency int
}

func main() {
	if len(os.Args) == 3 && os.Args[1] == "-child-serve" {
		if err := child(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "bench/serve child:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.variant, "variant", "A", "variant of the model to serve")
	flag.IntVar(&o.n, "n", 20, "nodes N of the request")
	flag.IntVar(&o.s, "s", 100, "samples S of the request")
	flag.StringVar(&o.clients, "clients", "1,16", "concurrent clients, comma-separated")
	flag.Float64Var(&o.seconds, "seconds", 3, "seconds per round and target")
	flag.IntVar(&o.rounds, "rounds", 3, "alternating rounds")
	flag.StringVar(&o.node, "node", "node", "the node executable (empty: skip the Node server)")
	flag.StringVar(&o.nodeThreads, "node-threads", "0,1", "onnxruntime intra-op threads of the Node servers, one server per entry (0: onnxruntime's default, a thread per core)")
	flag.StringVar(&o.interop, "interop", "tests/interop", "directory with serve.mjs and node_modules/onnxruntime-node")
	flag.BoolVar(&o.memory, "memory", true, "also measure the resident memory with models A–E loaded")
	flag.IntVar(&o.maxRequests, "max-requests", 200000, "bound on the requests of one round")
	flag.StringVar(&o.shipped, "models", "models", "directory of the shipped model-<v>.onnx files to serve (empty, or a file missing: a freshly initialised default-size model)")
	flag.IntVar(&o.maxConcurrency, "max-concurrency", 0, "the causeway server's MaxConcurrency (0: its default, 2 × cores)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the causeway server to `FILE`")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench/serve:", err)
		os.Exit(1)
	}
}

// child serves the models under dir like `causeway serve`, on a free
// loopback port it prints to stdout, until SIGTERM.
func child(dir string) error {
	models, _, err := serve.LoadDir(dir)
	if err != nil {
		return err
	}
	debug.FreeOSMemory() // as causeway serve does
	if path := os.Getenv("BENCH_SERVE_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	mc, _ := strconv.Atoi(os.Getenv("BENCH_SERVE_MAX_CONCURRENCY")) // 0: serve's default
	s, err := serve.New(serve.Config{Models: models, Version: "bench", MaxConcurrency: mc, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil))})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return s.Serve(ctx, ln)
}

// proc is a server in a child process, and the request a target sends it.
type proc struct {
	name string
	cmd  *exec.Cmd
	base string

	path      string // the request: POST path, body and Inference-Header-Content-Length
	body      []byte
	headerLen string
}

// send returns a call that posts the target's request and checks for 200.
func (p *proc) send(client *http.Client) func() error {
	return func() error { return drain(p.post(client)) }
}

// drain reads and closes an answer and checks for 200.
func drain(resp *http.Response, err error) error {
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return err
}

func (p *proc) post(client *http.Client) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, p.base+p.path, bytes.NewReader(p.body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if p.headerLen != "" {
		req.Header.Set(api.InferenceHeaderLength, p.headerLen)
	}
	return client.Do(req)
}

// binaryInfer encodes in as an OIP infer request under the binary tensor
// data extension, asking for binary outputs.
func binaryInfer(in contract.Pairs) (body []byte, headerLen string, err error) {
	var bin []byte
	var inputs []map[string]any
	for i, data := range [][]float32{in.Base, in.Int, in.Target, in.Mask} {
		shape := []int{in.B, in.S, in.N}
		if i >= 2 {
			shape = []int{in.B, in.N}
		}
		inputs = append(inputs, map[string]any{"name": contract.PairInputs[i], "datatype": "FP32", "shape": shape,
			"parameters": map[string]any{"binary_data_size": 4 * len(data)}})
		for _, v := range data {
			bin = binary.LittleEndian.AppendUint32(bin, math.Float32bits(v))
		}
	}
	head, err := json.Marshal(map[string]any{"inputs": inputs, "parameters": map[string]any{"binary_data_output": true}})
	if err != nil {
		return nil, "", err
	}
	return append(head, bin...), strconv.Itoa(len(head)), nil
}

// start runs cmd, whose first stdout line is "listening PORT", and waits
// until GET base+ready answers 200.
func start(name string, cmd *exec.Cmd, ready string, logPath string) (*proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		io.Copy(io.Discard, out)
	}()
	select {
	case l := <-line:
		port, ok := strings.CutPrefix(l, "listening ")
		if !ok {
			p.stop()
			return nil, fmt.Errorf("%s: unexpected first line %q (log: %s)", name, l, logPath)
		}
		p.base = "http://127.0.0.1:" + port
	case <-time.After(120 * time.Second):
		p.stop()
		return nil, fmt.Errorf("%s did not start within 120s (log: %s)", name, logPath)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(p.base + ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s not ready within 60s (log: %s)", name, logPath)
		}
	}
}

func (p *proc) stop() {
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

// rss returns the resident and peak resident sizes of pid in bytes.
func rss(pid int) (cur, peak int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return cur, peak, nil
}

// procCPU returns the user+system CPU time of pid.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command (which may hold spaces) in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / 100, nil // USER_HZ
}

// selfCPU returns this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// exportModel writes model-<v>.onnx into dir: a copy of the shipped model
// when shipped/model-<v>.onnx exists, else a default-size, freshly
// initialised one.
func exportModel(dir, shipped string, v model.Variant, seed uint64) (string, error) {
	name := "model-" + strings.ToLower(string(v))
	if shipped != "" {
		if data, err := os.ReadFile(filepath.Join(shipped, name+".onnx")); err == nil {
			path := filepath.Join(dir, name+".onnx")
			return path, os.WriteFile(path, data, 0o644)
		}
	}
	c := model.DefaultConfig(v)
	p, err := model.Init(c, seed)
	if err != nil {
		return "", err
	}
	mp, err := export.Build(c, p, export.Metadata{Name: name, Version: "bench", Seed: seed})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name+".onnx")
	return path, export.WriteFile(path, mp)
}

// request draws a /predict request with S samples of N variables.
func request(s, n int) *api.Request {
	rng := rand.New(rand.NewPCG(uint64(s), uint64(n)))
	mat := func() [][]float64 {
		m := make([][]float64, s)
		for i := range m {
			m[i] = make([]float64, n)
			for j := range m[i] {
				m[i][j] = rng.NormFloat64()*2 + float64(j%5)
			}
		}
		return m
	}
	return &api.Request{BaseSamples: mat(), IntSamples: mat(), IntervenedNode: &api.Node{Index: n / 2}}
}

// sample is the latencies and errors of one target at one concurrency.
type sample struct {
	lat     []time.Duration
	elapsed time.Duration
	cpu     time.Duration // the serving process's CPU time
	errors  int
	firstEr string
}

func (s *sample) add(o sample) {
	s.lat = append(s.lat, o.lat...)
	s.elapsed += o.elapsed
	s.cpu += o.cpu
	s.errors += o.errors
	if s.firstEr == "" {
		s.firstEr = o.firstEr
	}
}

// load runs c closed-loop workers calling call for d (and at most max
// calls), and records every call's latency.
func load(c int, d time.Duration, max int, call func() error) sample {
	var mu sync.Mutex
	var out sample
	var count atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(d)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs int
			var first string
			for time.Now().Before(end) && count.Add(1) <= int64(max) {
				t0 := time.Now()
				err := call()
				lat = append(lat, time.Since(t0))
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			out.lat = append(out.lat, lat...)
			out.errors += errs
			if out.firstEr == "" {
				out.firstEr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	out.elapsed = time.Since(start)
	return out
}

// planProducts is the part of a plan description that says where matrix
// products run.
func planProducts(plan string) string {
	if i := strings.LastIndex(plan, "), "); i >= 0 {
		return plan[i+3:]
	}
	return plan
}

// getter gets url and checks for 200.
func getter(client *http.Client, url string) func() error {
	return func() error { return drain(client.Get(url)) }
}

// serverTimes are sums from the causeway server's metrics, in seconds:
// time in /predict handlers and in the executor.
type serverTimes struct{ handler, executor float64 }

// scrape reads serverTimes from base/metrics.
func scrape(client *http.Client, base string) (serverTimes, error) {
	resp, err := client.Get(base + "/metrics")
	if err != nil {
		return serverTimes{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return serverTimes{}, err
	}
	var t serverTimes
	for _, line := range strings.Split(string(b), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, _ := strconv.ParseFloat(value, 64)
		switch {
		case strings.HasPrefix(name, `causeway_model_request_duration_seconds_sum{endpoint="/predict"`):
			t.handler += v
		case strings.HasPrefix(name, "causeway_model_inference_duration_seconds_sum{"):
			t.executor += v
		}
	}
	return t, nil
}

// percentile is the p-quantile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/1e6) }

// check sends t's request once and compares the delta with want.
func check(client *http.Client, t *proc, want []float32) (float64, error) {
	resp, err := t.post(client)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		return 0, fmt.Errorf("status %d, %v: %.200s", resp.StatusCode, err, b)
	}
	var delta []float32
	if n := resp.Header.Get(api.InferenceHeaderLength); n != "" {
		// A binary answer: the JSON part, then delta and adj_logits.
		k, err := strconv.Atoi(n)
		if err != nil || k > len(b) {
			return 0, fmt.Errorf("binary answer: %s %q", api.InferenceHeaderLength, n)
		}
		var r api.InferResponse
		if err := json.Unmarshal(b[:k], &r); err != nil || len(r.Outputs) == 0 || r.Outputs[0].Name != contract.Delta || r.Outputs[0].Parameters == nil {
			return 0, fmt.Errorf("binary answer: %v %.200s", err, b[:k])
		}
		size := r.Outputs[0].Parameters.BinaryDataSize
		if k+size > len(b) {
			return 0, fmt.Errorf("binary answer: %d bytes of delta, %d after the JSON", size, len(b)-k)
		}
		for i := 0; i < size/4; i++ {
			delta = append(delta, math.Float32frombits(binary.LittleEndian.Uint32(b[k+4*i:])))
		}
	} else {
		var r api.Response
		if err := json.Unmarshal(b, &r); err != nil {
			return 0, err
		}
		delta = r.Delta
	}
	if len(delta) != len(want) {
		return 0, fmt.Errorf("%d deltas, want %d", len(delta), len(want))
	}
	var diff float64
	for i := range want {
		diff = math.Max(diff, math.Abs(float64(delta[i]-want[i])))
	}
	return diff, nil
}

func run(o options) error {
	v, err := model.ParseVariant(o.variant)
	if err != nil {
		return err
	}
	var clients []int
	for _, f := range strings.Split(o.clients, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 {
			return fmt.Errorf("-clients %q: want positive integers", o.clients)
		}
		clients = append(clients, c)
	}
	tmp, err := os.MkdirTemp("", "causeway-bench-serve-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	one := filepath.Join(tmp, "one")
	if err := os.Mkdir(one, 0o755); err != nil {
		return err
	}
	path, err := exportModel(one, o.shipped, v, 1)
	if err != nil {
		return err
	}
	m, err := onnxrt.Load(path)
	if err != nil {
		return err
	}
	req := request(o.s, o.n)
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	in, err := req.Inputs()
	if err != nil {
		return err
	}
	want, err := m.Run(in)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}

	go1 := exec.Command(self, "-child-serve", one)
	go1.Env = append(os.Environ(), fmt.Sprintf("BENCH_SERVE_MAX_CONCURRENCY=%d", o.maxConcurrency))
	if o.cpuprofile != "" {
		abs, err := filepath.Abs(o.cpuprofile)
		if err != nil {
			return err
		}
		go1.Env = append(go1.Env, "BENCH_SERVE_CPUPROFILE="+abs)
	}
	gs, err := start("causeway serve", go1, "/v2/health/ready", filepath.Join(tmp, "causeway.log"))
	if err != nil {
		return err
	}
	defer gs.stop()
	gs.path, gs.body = "/predict", body
	binBody, headerLen, err := binaryInfer(in)
	if err != nil {
		return err
	}
	// The same server, the same tensors through OIP infer with binary
	// tensor data: no JSON numbers to parse or print.
	gsBinary := &proc{name: "causeway serve, OIP infer, binary tensors", cmd: gs.cmd, base: gs.base,
		path: "/v2/models/model-" + strings.ToLower(string(v)) + "/infer", body: binBody, headerLen: headerLen}
	targets := []*proc{gs, gsBinary}
	for _, f := range strings.Split(o.nodeThreads, ",") {
		if o.node == "" {
			break
		}
		threads, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || threads < 0 {
			return fmt.Errorf("-node-threads %q: want non-negative integers", o.nodeThreads)
		}
		name := "node + onnxruntime-node (default threads)"
		if threads > 0 {
			name = fmt.Sprintf("node + onnxruntime-node (%d intra-op thread)", threads)
		}
		cmd := exec.Command(o.node, filepath.Join(o.interop, "serve.mjs"), path, strconv.Itoa(threads))
		ns, err := start(name, cmd, "/ready", filepath.Join(tmp, fmt.Sprintf("node-%d.log", threads)))
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench/serve: skipping a Node server: %v\n", err)
			continue
		}
		defer ns.stop()
		ns.path, ns.body = "/predict", body
		targets = append(targets, ns)
	}
	maxClients := slices.Max(clients)
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: maxClients, MaxConnsPerHost: maxClients, DisableCompression: true}}
	diffs := map[string]float64{}
	for _, t := range targets {
		d, err := check(client, t, want.Delta)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		diffs[t.name] = d
	}

	names := []string{"executor (in-process, no HTTP, ≤ 1 goroutine per core)"}
	for _, t := range targets {
		names = append(names, t.name)
	}
	results := map[string]map[int]*sample{}
	for _, n := range names {
		results[n] = map[int]*sample{}
		for _, c := range clients {
			results[n][c] = &sample{}
		}
	}
	d := time.Duration(o.seconds * float64(time.Second))
	inside := map[int]serverTimes{} // the causeway server's own timing, per clients
	for _, c := range clients {
		// The executor runs on at most one goroutine per core: more only
		// thrash its caches (the server bounds its concurrency too).
		ec := min(c, runtime.GOMAXPROCS(0))
		// Warm up every target (connections, pools).
		load(ec, 300*time.Millisecond, o.maxRequests, func() error { _, err := m.Run(in); return err })
		for _, t := range targets {
			load(c, 300*time.Millisecond, o.maxRequests, t.send(client))
		}
		for r := 0; r < o.rounds; r++ {
			cpu0 := selfCPU()
			s := load(ec, d, o.maxRequests, func() error { _, err := m.Run(in); return err })
			s.cpu = selfCPU() - cpu0
			results[names[0]][c].add(s)
			for _, t := range targets {
				cpu0, err := procCPU(t.cmd.Process.Pid)
				if err != nil {
					return err
				}
				var m0 serverTimes
				if t == gs {
					if m0, err = scrape(client, gs.base); err != nil {
						return err
					}
				}
				s := load(c, d, o.maxRequests, t.send(client))
				cpu1, err := procCPU(t.cmd.Process.Pid)
				if err != nil {
					return err
				}
				if t == gs {
					m1, err := scrape(client, gs.base)
					if err != nil {
						return err
					}
					inside[c] = serverTimes{inside[c].handler + m1.handler - m0.handler, inside[c].executor + m1.executor - m0.executor}
				}
				s.cpu = cpu1 - cpu0
				results[t.name][c].add(s)
			}
		}
	}

	// The fixed cost of any HTTP request to the server: one client
	// getting GET /v2/health/live (no body, no JSON, no model).
	var floor sample
	for r := 0; r < o.rounds; r++ {
		cpu0, err := procCPU(gs.cmd.Process.Pid)
		if err != nil {
			return err
		}
		s := load(1, d, o.maxRequests, getter(client, gs.base+"/v2/health/live"))
		cpu1, err := procCPU(gs.cmd.Process.Pid)
		if err != nil {
			return err
		}
		s.cpu = cpu1 - cpu0
		floor.add(s)
	}

	weights := "default size, fresh weights"
	if m.Metadata()["training_steps"] != "0" && m.Metadata()["training_steps"] != "" {
		weights = "the shipped model, " + m.Metadata()["training_steps"] + " training steps"
	}
	fmt.Printf("POST /predict, N=%d, S=%d, model %s (%s), %d×%s rounds per cell, GOMAXPROCS %d, %s, %s\n\n",
		o.n, o.s, strings.ToLower("model-"+string(v)), weights, o.rounds, d, runtime.GOMAXPROCS(0), planProducts(m.Plan()), runtime.Version())
	fmt.Println("| target | clients | req/s | p50 ms | p99 ms | server CPU ms/req | errors |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	p50 := map[string]map[int]time.Duration{}
	rate := map[string]map[int]float64{}
	cpu := map[string]map[int]time.Duration{}
	var failed error
	for _, c := range clients {
		for _, n := range names {
			s := results[n][c]
			slices.Sort(s.lat)
			rps := float64(len(s.lat)) / s.elapsed.Seconds()
			if p50[n] == nil {
				p50[n], rate[n], cpu[n] = map[int]time.Duration{}, map[int]float64{}, map[int]time.Duration{}
			}
			p50[n][c], rate[n][c] = percentile(s.lat, 0.5), rps
			cpu[n][c] = s.cpu / time.Duration(max(1, len(s.lat)))
			fmt.Printf("| %s | %d | %.0f | %s | %s | %s | %d |\n", n, c, rps, ms(percentile(s.lat, 0.5)), ms(percentile(s.lat, 0.99)), ms(cpu[n][c]), s.errors)
			if s.errors > 0 && failed == nil {
				failed = fmt.Errorf("%s, %d clients: %d errors, first: %s", n, c, s.errors, s.firstEr)
			}
		}
	}
	fmt.Println()
	for _, c := range clients {
		ex, gs := p50[names[0]][c], p50["causeway serve"][c]
		exc, gsc := cpu[names[0]][c], cpu["causeway serve"][c]
		fmt.Printf("- %d client(s): HTTP + JSON overhead %+.1f%% in CPU per request (%s vs %s ms), %+.1f%% in p50 latency (%s vs %s ms); throughput %.0f%% of the executor's",
			c, 100*(float64(gsc)-float64(exc))/float64(exc), ms(gsc), ms(exc),
			100*(float64(gs)-float64(ex))/float64(ex), ms(gs), ms(ex), 100*rate["causeway serve"][c]/rate[names[0]][c])
		for _, t := range targets[2:] {
			fmt.Printf(", %.2f× %s's", rate["causeway serve"][c]/rate[t.name][c], t.name)
		}
		if in := inside[c]; in.executor > 0 {
			n := float64(len(results["causeway serve"][c].lat))
			fmt.Printf("; inside the server (its metrics), /predict handler time is %+.1f%% over its executor time (%.2f ms per request)", 100*(in.handler-in.executor)/in.executor, 1e3*in.executor/n)
			if c > runtime.GOMAXPROCS(0) {
				fmt.Print(" (including the wait for a slot)")
			}
		}
		fmt.Println()
		bc := cpu[gsBinary.name][c]
		fmt.Printf("- %d client(s), OIP infer with binary tensors (no JSON numbers): HTTP overhead %+.1f%% in CPU per request (%s vs %s ms), %+.1f%% in p50 latency; %.2f× the JSON /predict throughput\n",
			c, 100*(float64(bc)-float64(exc))/float64(exc), ms(bc), ms(exc),
			100*(float64(p50[gsBinary.name][c])-float64(ex))/float64(ex), rate[gsBinary.name][c]/rate["causeway serve"][c])
	}
	if n := len(floor.lat); n > 0 {
		fc := floor.cpu / time.Duration(n)
		exc := cpu[names[0]][clients[0]]
		fmt.Printf("- floor: GET /v2/health/live (no body, no JSON, no model) from 1 client costs the causeway server %s ms of CPU per request (%.1f%% of the executor's %s ms), %.0f req/s; errors %d\n",
			ms(fc), 100*float64(fc)/float64(exc), ms(exc), float64(n)/floor.elapsed.Seconds(), floor.errors)
	}
	for _, t := range targets {
		fmt.Printf("- %s: max |delta − executor| on the checked request %.2g\n", t.name, diffs[t.name])
	}
	if failed != nil {
		return failed
	}
	if o.memory {
		return memory(self, tmp, client, o)
	}
	return nil
}

// memory reports the resident size of a server with models A–E loaded,
// idle and after requests to each.
func memory(self, tmp string, client *http.Client, o options) error {
	dir := filepath.Join(tmp, "five")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	var size int64
	for i, v := range model.Variants {
		path, err := exportModel(dir, o.shipped, v, uint64(i+1))
		if err != nil {
			return err
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		size += st.Size()
	}
	cmd := exec.Command(self, "-child-serve", dir)
	p, err := start("causeway serve (A–E)", cmd, "/v2/health/ready", filepath.Join(tmp, "five.log"))
	if err != nil {
		return err
	}
	defer p.stop()
	idle, _, err := rss(p.cmd.Process.Pid)
	if err != nil {
		return err
	}
	const perModel = 200
	for _, v := range model.Variants {
		r := request(o.s, o.n)
		r.Model = "model-" + strings.ToLower(string(v))
		body, err := json.Marshal(r)
		if err != nil {
			return err
		}
		target := &proc{base: p.base, path: "/predict", body: body}
		s := load(4, time.Minute, perModel, target.send(client))
		if s.errors > 0 {
			return errors.New("memory run: " + s.firstEr)
		}
	}
	busy, peak, err := rss(p.cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Printf("\nMemory, five default-size models A–E (%.1f MiB of .onnx files) in one server: resident %.0f MiB idle after loading, "+
		"%.0f MiB after %d requests to each (4 clients, N=%d, S=%d), peak %.0f MiB.\n",
		float64(size)/(1<<20), float64(idle)/(1<<20), float64(busy)/(1<<20), perModel, o.n, o.s, float64(peak)/(1<<20))
	return nil
}
