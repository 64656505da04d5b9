package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"causeway/api"
	"causeway/export"
	"causeway/model"
	"causeway/onnxrt"
)

// TestServeEndToEnd builds the causeway binary (the module's root package,
// by its import path), serves two models on a free
// loopback port, checks real answers against the Go executor, then sends
// SIGTERM while requests are in flight and checks that they complete and
// the process exits cleanly.
func TestServeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "causeway")
	build := exec.Command("go", "build", "-o", bin, "causeway")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	models := filepath.Join(dir, "models")
	if err := os.Mkdir(models, 0o755); err != nil {
		t.Fatal(err)
	}
	smallPath := writeTestModel(t, models, model.VariantD, 10)
	// A default-size model A: requests to it take long enough to be caught
	// in flight.
	bigPath := filepath.Join(models, "model-big.onnx")
	{
		c := model.DefaultConfig(model.VariantA)
		p, err := model.Init(c, 3)
		if err != nil {
			t.Fatal(err)
		}
		mp, err := export.Build(c, p, export.Metadata{Name: "model-big", Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if err := export.WriteFile(bigPath, mp); err != nil {
			t.Fatal(err)
		}
	}
	small, err := onnxrt.Load(smallPath)
	if err != nil {
		t.Fatal(err)
	}
	big, err := onnxrt.Load(bigPath)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "serve", "--models", models, "--addr", "127.0.0.1:0", "--default", "model-d",
		"--log-format", "json", "--timeout", "60s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var logMu sync.Mutex
	var logs []map[string]any
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			logMu.Lock()
			logs = append(logs, rec)
			logMu.Unlock()
			if rec["msg"] == "listening" {
				addr <- rec["addr"].(string)
			}
		}
		exited <- cmd.Wait()
	}()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-exited:
		t.Fatalf("serve exited: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start listening within 60s")
	}
	client := &http.Client{Timeout: 60 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(base + "/v2/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 30s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	post := func(path string, body []byte) (int, []byte) {
		t.Helper()
		resp, err := client.Post(base+path, "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	rng := rand.New(rand.NewPCG(5, 6))
	request := func(s, n int) *api.Request {
		m := func() [][]float64 {
			rows := make([][]float64, s)
			for i := range rows {
				rows[i] = make([]float64, n)
				for j := range rows[i] {
					rows[i][j] = rng.NormFloat64()*2 + float64(j)
				}
			}
			return rows
		}
		return &api.Request{BaseSamples: m(), IntSamples: m(), IntervenedNode: &api.Node{Index: 1}}
	}
	marshal := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	// /predict, default model: the answer is the Go executor's.
	req := request(50, 6)
	status, body := post("/predict", marshal(req))
	want, err := api.Predict(context.Background(), small, req)
	if err != nil {
		t.Fatal(err)
	}
	if status != 200 || !bytes.Equal(bytes.TrimSpace(body), marshal(want)) {
		t.Fatalf("/predict: %d\n%s\nwant\n%s", status, body, marshal(want))
	}
	// A batch on the big model.
	batch := &api.BatchRequest{Instances: []api.Request{*request(100, 20), *request(100, 20)}}
	for i := range batch.Instances {
		batch.Instances[i].Model = "model-big"
	}
	status, body = post("/predict", marshal(batch))
	wantBatch, err := api.PredictBatch(context.Background(), big, batch)
	if err != nil {
		t.Fatal(err)
	}
	if status != 200 || !bytes.Equal(bytes.TrimSpace(body), marshal(wantBatch)) {
		t.Fatalf("/predict batch: %d %.300s", status, body)
	}
	// OIP v2 infer.
	in, err := req.Inputs()
	if err != nil {
		t.Fatal(err)
	}
	f64 := func(v []float32) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(x)
		}
		return out
	}
	infer := api.InferRequest{ID: "e2e-1", Inputs: []api.InferInput{
		{Name: "base_samples", Datatype: "FP32", Shape: []int{1, in.S, in.N}, Data: f64(in.Base)},
		{Name: "int_samples", Datatype: "FP32", Shape: []int{1, in.S, in.N}, Data: f64(in.Int)},
		{Name: "target_row", Datatype: "FP32", Shape: []int{1, in.N}, Data: f64(in.Target)},
		{Name: "int_mask", Datatype: "FP32", Shape: []int{1, in.N}, Data: f64(in.Mask)},
	}}
	status, body = post("/v2/models/model-d/infer", marshal(infer))
	var inferResp api.InferResponse
	if err := json.Unmarshal(body, &inferResp); err != nil || status != 200 {
		t.Fatalf("infer: %d %s", status, body)
	}
	out, err := small.Run(in)
	if err != nil {
		t.Fatal(err)
	}
	if inferResp.ID != "e2e-1" || len(inferResp.Outputs) != 2 || !reflect.DeepEqual(inferResp.Outputs[0].Data, out.Delta) ||
		!reflect.DeepEqual(inferResp.Outputs[1].Data, out.AdjLogits) {
		t.Fatalf("infer response %+v", inferResp)
	}
	// A bad request.
	status, body = post("/predict", []byte(`{"base_samples": [[1, 2], [3]]}`))
	if status != 400 || !strings.Contains(string(body), `"error":"base_samples[1]: has 1 values`) {
		t.Fatalf("bad request: %d %s", status, body)
	}
	for _, path := range []string{"/models", "/v2", "/v2/models/model-big", "/metrics"} {
		resp, err := client.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) == 0 {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
	}

	// SIGTERM with requests in flight: each is a batch of 48 instances on
	// the big model (a few hundred milliseconds of executor time).
	const inFlight = 4
	slow := &api.BatchRequest{}
	for range 48 {
		r := request(100, 20)
		r.Model = "model-big"
		slow.Instances = append(slow.Instances, *r)
	}
	slowBody := marshal(slow)
	results := make(chan error, inFlight)
	for range inFlight {
		go func() {
			resp, err := client.Post(base+"/predict", "application/json", bytes.NewReader(slowBody))
			if err != nil {
				results <- err
				return
			}
			defer resp.Body.Close()
			var br api.BatchResponse
			if err := json.NewDecoder(resp.Body).Decode(&br); err != nil || resp.StatusCode != 200 {
				results <- fmt.Errorf("status %d, %v", resp.StatusCode, err)
				return
			}
			if len(br.Predictions) != 48 {
				results <- fmt.Errorf("%d predictions", len(br.Predictions))
				return
			}
			results <- nil
		}()
	}
	// Wait until the server sees them all (the gauge counts the /metrics
	// request too), then SIGTERM.
	gauge := regexp.MustCompile(`(?m)^causeway_http_requests_in_flight (\d+)`)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		resp, err := client.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := gauge.FindSubmatch(b); m != nil && atoi(string(m[1])) >= inFlight+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the slow requests never were in flight together")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range inFlight {
		if err := <-results; err != nil {
			t.Errorf("in-flight request across SIGTERM: %v", err)
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not exit within 60s of SIGTERM")
	}
	logMu.Lock()
	defer logMu.Unlock()
	var shutdown, accessLogs int
	for _, r := range logs {
		switch r["msg"] {
		case "shut down":
			shutdown++
		case "request":
			accessLogs++
		}
	}
	if shutdown != 1 || accessLogs < 10 {
		t.Errorf("%d shut-down records, %d access-log records", shutdown, accessLogs)
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
