package serve

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoad sends 10,000 /predict requests (a small model, N=5, S=20) from
// four loopback clients: every answer must be 200 and identical, and the
// live heap and the goroutine count must not grow between the first
// thousand requests and the end.
func TestLoad(t *testing.T) {
	const (
		total   = 10000
		clients = 4
		limit   = 60 * time.Second // the whole test's bound
	)
	s := newTestServer(t, Config{MaxConcurrency: 2})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	}()
	url := "http://" + ln.Addr().String() + "/predict"
	body := mustJSON(t, validRequest(7, 20, 5))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer client.CloseIdleConnections()

	send := func(buf *bytes.Buffer) error {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		buf.Reset()
		if _, err := buf.ReadFrom(resp.Body); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %s", resp.StatusCode, buf)
		}
		return nil
	}
	var first bytes.Buffer
	if err := send(&first); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	var next atomic.Int64
	var heapAfterWarmup uint64
	var goroutinesAfterWarmup int
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	run := func(n int64) {
		for w := 0; w < clients; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var buf bytes.Buffer
				for next.Add(1) <= n {
					if time.Since(start) > limit {
						errs <- fmt.Errorf("not done after %s", limit)
						return
					}
					if err := send(&buf); err != nil {
						errs <- err
						return
					}
					if !bytes.Equal(buf.Bytes(), first.Bytes()) {
						errs <- fmt.Errorf("answer differs from the first:\n%s\n%s", buf.Bytes(), first.Bytes())
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	run(1000)
	heapAfterWarmup, goroutinesAfterWarmup = liveHeap(), runtime.NumGoroutine()
	next.Store(1000)
	run(total)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	heap, goroutines := liveHeap(), runtime.NumGoroutine()
	t.Logf("%d requests in %s (%.0f/s); live heap %.1f → %.1f MiB; goroutines %d → %d", total, elapsed.Round(time.Millisecond),
		total/elapsed.Seconds(), float64(heapAfterWarmup)/(1<<20), float64(heap)/(1<<20), goroutinesAfterWarmup, goroutines)
	if heap > heapAfterWarmup+4<<20 {
		t.Errorf("live heap grew from %d to %d bytes over %d requests", heapAfterWarmup, heap, total-1000)
	}
	if goroutines > goroutinesAfterWarmup+2 {
		t.Errorf("goroutines grew from %d to %d", goroutinesAfterWarmup, goroutines)
	}
	metrics := httpGet(t, client, "http://"+ln.Addr().String()+"/metrics")
	if want := fmt.Sprintf(`causeway_http_requests_total{code="200",endpoint="/predict",method="POST"} %d`, total+1); !bytes.Contains(metrics, []byte(want)) {
		t.Errorf("metrics lack %s", want)
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func httpGet(t *testing.T, c *http.Client, url string) []byte {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
