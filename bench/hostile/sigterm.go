package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// sigtermCounts are the outcomes of the good requests of a SIGTERM run.
type sigtermCounts struct {
	before, after   atomic.Int64 // 200s before and after the signal
	unavailable     atomic.Int64 // 503s
	otherStatus     atomic.Int64
	resets, eofs    atomic.Int64 // kept-alive connections that failed without a response
	refused, others atomic.Int64
}

// sigterm starts `causeway serve` (built from this module) on loopback with
// the embedded default model, drives that many keep-alive clients with
// /predict requests, sends SIGTERM after load, and prints what the clients
// saw and how long readiness took to turn 503.
func sigterm(clients int, load, drain time.Duration, body []byte) {
	dir, err := os.MkdirTemp("", "causeway-sigterm-")
	check(err)
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "causeway")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	check(build.Run())
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--drain", drain.String())
	stderr, err := cmd.StderrPipe()
	check(err)
	check(cmd.Start())
	addrc := make(chan string, 1)
	var logTail bytes.Buffer
	var logMu sync.Mutex
	go func() {
		re := regexp.MustCompile(`msg=listening addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			if m := re.FindStringSubmatch(line); m != nil {
				addrc <- m[1]
			}
			if !strings.Contains(line, "msg=request") {
				logMu.Lock()
				logTail.WriteString(line + "\n")
				logMu.Unlock()
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(60 * time.Second):
		check(errors.New("causeway serve did not report its address within 60 s"))
	}
	url := "http://" + addr
	for !ready(url) {
		time.Sleep(10 * time.Millisecond)
	}

	var c sigtermCounts
	var signalled atomic.Bool
	stop := make(chan struct{})
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, IdleConnTimeout: time.Minute}
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			client := &http.Client{Transport: tr, Timeout: 15 * time.Second}
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Post(url+"/predict", "application/json", bytes.NewReader(body))
				if err != nil {
					switch {
					case errors.Is(err, syscall.ECONNREFUSED):
						c.refused.Add(1)
						return // the listener is closed: this client is done
					case errors.Is(err, syscall.ECONNRESET):
						c.resets.Add(1)
					case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "server closed idle connection"):
						c.eofs.Add(1)
					default:
						c.others.Add(1)
						fmt.Fprintln(os.Stderr, "bench/hostile: client error:", err)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					if signalled.Load() {
						c.after.Add(1)
					} else {
						c.before.Add(1)
					}
				case http.StatusServiceUnavailable:
					c.unavailable.Add(1)
				default:
					c.otherStatus.Add(1)
				}
			}
		})
	}
	time.Sleep(load)
	sent := time.Now()
	signalled.Store(true)
	check(cmd.Process.Signal(syscall.SIGTERM))
	notReady := make(chan time.Duration, 1)
	go func() {
		for {
			if time.Since(sent) > drain+10*time.Second {
				notReady <- -1
				return
			}
			if !ready(url) {
				notReady <- time.Since(sent)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	toNotReady := <-notReady
	werr := cmd.Wait()
	exited := time.Since(sent)
	close(stop)
	wg.Wait()

	fmt.Printf("causeway serve --drain %s, %d keep-alive clients sending /predict (N=20, S=100), SIGTERM after %s of load:\n\n", drain, clients, load)
	fmt.Println("| 200 before SIGTERM | 200 after | 503 | other status | connection resets | EOF without a response | refused (listener closed) | other errors | SIGTERM → readiness 503 | SIGTERM → exit |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	fmt.Printf("| %d | %d | %d | %d | %d | %d | %d | %d | %s | %.2f s |\n", c.before.Load(), c.after.Load(), c.unavailable.Load(), c.otherStatus.Load(),
		c.resets.Load(), c.eofs.Load(), c.refused.Load(), c.others.Load(), fmtDur(toNotReady), exited.Seconds())
	status := "exit status 0"
	if werr != nil {
		status = werr.Error()
	}
	fmt.Printf("\nserver: %s\n", status)
	logMu.Lock()
	fmt.Print(logTail.String())
	logMu.Unlock()
}

func fmtDur(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// ready reports whether GET /v2/health/ready answers 200, on a connection
// of its own.
func ready(url string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/v2/health/ready", nil)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
