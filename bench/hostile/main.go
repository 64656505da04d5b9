// Command bench/hostile measures causeway serve beside hostile clients, on
// loopback: good /predict requests (N=20, S=100, the embedded model-a) sent
// one after another while K clients send their bodies a byte per second,
// and prints the good requests' success within 1 s and p50 latency; then
// one OIP request with B=5000 (S=2, N=50) and the server's peak RSS; then
// /metrics growth under 300 made-up methods. With -sigterm it instead starts
// `causeway serve` as a child process, drives -clients keep-alive clients
// with /predict requests, sends SIGTERM mid-load and counts what they saw.
//
//	go run ./bench/hostile [-slow 12,68] [-seconds 10]
//	go run ./bench/hostile -sigterm [-clients 16] [-drain 3s]
package main

import (
	"bytes"
	"causeway/bench/internal/machine"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"causeway/api"
	"causeway/models"
	"causeway/onnxrt"
	"causeway/serve"
)

func main() {
	slowFlag := flag.String("slow", "0,12,68", "numbers of slow-body clients to measure beside")
	seconds := flag.Float64("seconds", 10, "seconds per measurement")
	sigtermFlag := flag.Bool("sigterm", false, "measure SIGTERM under load on a child `causeway serve` instead (run from the module root)")
	clients := flag.Int("clients", 16, "keep-alive clients of -sigterm")
	drain := flag.Duration("drain", 3*time.Second, "the child server's --drain under -sigterm")
	flag.Parse()
	if *sigtermFlag {
		fmt.Printf("CPU: %s, %d cores\n\n", machine.CPU(), runtime.NumCPU())
		sigterm(*clients, 2*time.Second, *drain, goodBody())
		return
	}
	m, err := onnxrt.LoadBytes(models.DefaultName, models.Default())
	check(err)
	srv, err := serve.New(serve.Config{Models: []*onnxrt.Model{m}, Version: "bench", Timeout: 10 * time.Second})
	check(err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	ctx, stop := context.WithCancel(context.Background())
	go srv.Serve(ctx, ln)
	defer stop()
	url := "http://" + ln.Addr().String()
	body := goodBody()
	fmt.Printf("CPU: %s, %d cores\n\n", machine.CPU(), runtime.NumCPU())
	fmt.Println("| slow-body clients | good requests | answered 200 within 1 s | p50 latency |")
	fmt.Println("| ---: | ---: | ---: | ---: |")
	for _, f := range strings.Split(*slowFlag, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		check(err)
		n, ok, p50 := beside(url, ln.Addr().String(), body, k, time.Duration(*seconds*float64(time.Second)))
		fmt.Printf("| %d | %d | %.1f%% | %.1f ms |\n", k, n, 100*float64(ok)/float64(max(n, 1)), p50)
	}
	status, rss, took := bigInfer(url)
	fmt.Printf("\nOIP infer B=5000, S=2, N=50: status %d after %.2f s; server RSS peak %.0f MB (limit --max-work 1GiB)\n", status, took, rss)
	fmt.Printf("/metrics growth under 300 made-up methods: %d bytes\n", metricsGrowth(url))
}

func goodBody() []byte {
	r := rand.New(rand.NewPCG(1, 2))
	mat := func() [][]float64 {
		m := make([][]float64, 100)
		for i := range m {
			m[i] = make([]float64, 20)
			for j := range m[i] {
				m[i][j] = r.NormFloat64()
			}
		}
		return m
	}
	b, err := json.Marshal(api.Request{BaseSamples: mat(), IntSamples: mat(), IntervenedNode: &api.Node{Index: 3}})
	check(err)
	return b
}

// beside runs k slow senders and one good client for d, returning the good
// requests sent, those answered 200 within 1 s, and their p50 latency (ms).
func beside(url, addr string, body []byte, k int, d time.Duration) (n, ok int, p50 float64) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range k {
		wg.Go(func() {
			for {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				fmt.Fprintf(conn, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body))
				for i := 0; ; i++ {
					select {
					case <-done:
						conn.Close()
						return
					case <-time.After(time.Second):
					}
					if _, err := conn.Write(body[i : i+1]); err != nil {
						break
					}
				}
				conn.Close()
			}
		})
	}
	time.Sleep(200 * time.Millisecond)
	client := &http.Client{Timeout: 15 * time.Second}
	var lat []float64
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		start := time.Now()
		resp, err := client.Post(url+"/predict", "application/json", bytes.NewReader(body))
		ms := float64(time.Since(start).Microseconds()) / 1000
		n++
		lat = append(lat, ms)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 && ms <= 1000 {
				ok++
			}
		}
	}
	close(done)
	wg.Wait()
	slices.Sort(lat)
	return n, ok, lat[len(lat)/2]
}

func bigInfer(url string) (status int, rssMB, seconds float64) {
	const b, s, n = 5000, 2, 50
	vals := func(k int) []float64 { return make([]float64, k) }
	mask := make([]float64, b*n)
	for e := range b {
		mask[e*n] = 1
	}
	req := map[string]any{"inputs": []map[string]any{
		{"name": "base_samples", "datatype": "FP32", "shape": []int{b, s, n}, "data": vals(b * s * n)},
		{"name": "int_samples", "datatype": "FP32", "shape": []int{b, s, n}, "data": vals(b * s * n)},
		{"name": "target_row", "datatype": "FP32", "shape": []int{b, n}, "data": vals(b * n)},
		{"name": "int_mask", "datatype": "FP32", "shape": []int{b, n}, "data": mask},
	}}
	body, err := json.Marshal(req)
	check(err)
	stopWatch := make(chan struct{})
	peak := make(chan float64)
	go func() {
		p := 0.0
		for {
			select {
			case <-stopWatch:
				peak <- p
				return
			case <-time.After(20 * time.Millisecond):
				p = max(p, rss())
			}
		}
	}()
	start := time.Now()
	resp, err := http.Post(url+"/v2/models/model-a/infer", "application/json", bytes.NewReader(body))
	seconds = time.Since(start).Seconds()
	if err == nil {
		status = resp.StatusCode
		resp.Body.Close()
	}
	close(stopWatch)
	return status, <-peak, seconds
}

func metricsGrowth(url string) int {
	size := func() int {
		resp, err := http.Get(url + "/metrics")
		check(err)
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		resp.Body.Close()
		return b.Len()
	}
	before := size()
	for i := range 300 {
		req, _ := http.NewRequest(fmt.Sprintf("MADEUP%03d", i), url+"/predict", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	return size() - before
}

// rss is this process's resident set in MB (the server runs in it).
func rss() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/hostile:", err)
		os.Exit(1)
	}
}
