package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"causeway/api"
	"causeway/model/modeltest"
	"causeway/onnxrt"
	"causeway/scm"
)

func TestPageAndDraw(t *testing.T) {
	s, _ := dataSetServer(t)
	w := do(t, s, http.MethodGet, "/", nil)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<title>causeway</title>") || strings.Contains(w.Body.String(), "https://") {
		t.Fatalf("GET /: %d, %.200s (the page must not load anything from elsewhere)", w.Code, w.Body)
	}
	body := `{"variables": ["a", "b"], "edges": [{"from": "a", "to": "b", "probability": 0.8}], "title": "t"}`
	w = do(t, s, http.MethodPost, "/draw", []byte(body))
	if w.Code != 200 || !strings.Contains(w.Body.String(), "<svg") || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Fatalf("POST /draw: %d %s %.200s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	for _, bad := range []string{`{"variables": []}`, `{"variables": ["a"], "edges": [{"from": "a", "to": "z", "probability": 1}]}`, `{"variables": ["a"], "Variables": ["b"]}`} {
		if w := do(t, s, http.MethodPost, "/draw", []byte(bad)); w.Code != 400 {
			t.Errorf("POST /draw %s: %d", bad, w.Code)
		}
	}
}

// chromiumPath returns the headless browser, or skips (fails under
// CAUSEWAY_REQUIRE_BROWSER=1, as in CI).
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CAUSEWAY_REQUIRE_BROWSER") == "1" {
		t.Fatal("no chromium on PATH (apt-get install chromium) and CAUSEWAY_REQUIRE_BROWSER=1")
	}
	t.Skip("no chromium on PATH (apt-get install chromium); set CAUSEWAY_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// TestPageInBrowser drives the page in headless Chromium: it loads, takes a
// CSV written by `causeway scm` through the file input, draws the predicted
// graph, lists as many edges as POST /predict returns for the same data,
// charts an intervention's effect on every variable, and is screenshot
// (into CAUSEWAY_SCREENSHOT when set).
func TestPageInBrowser(t *testing.T) {
	browser := chromiumPath(t)
	c := modeltest.SmallDataSetConfig()
	c.MaxNodes = testMaxNodes
	f, err := onnxrt.LoadBytes("", exportBytes(t, c, "model-f", 4))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newTestServer(t, Config{Models: []*onnxrt.Model{f}}))
	defer srv.Close()

	cfg := scm.DefaultConfig()
	cfg.Nodes, cfg.Samples = 6, 30
	d, err := scm.NewDataset(cfg, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	if err := scm.WriteCSV(&csv, d); err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(csvPath, csv.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// What the API answers for the same data, for the edge count.
	threshold := 0.2 // a fresh model's edges sit near 0.5: list some
	req := &api.DataRequest{Model: "model-f", Data: api.FromDataset(d), Threshold: &threshold}
	resp, err := http.Post(srv.URL+"/predict", "application/json", bytes.NewReader(mustJSON(t, req)))
	if err != nil {
		t.Fatal(err)
	}
	var want api.DataResponse
	if err := json.NewDecoder(resp.Body).Decode(&want); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTime()

	step := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("browser: %s: %v", what, err)
		}
	}
	step("load, upload, predict", chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
	))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector('#model option[value="model-f"]') !== null`))
	step("model list", err)
	step("upload", chromedp.Do(ctx, chromedp.SetUploadFiles(`#file`, []string{csvPath})))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("csv").value.length > 0`))
	step("file read", err)
	_, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("threshold").value = "0.2"`))
	step("threshold", err)
	step("click predict", chromedp.Do(ctx, chromedp.Click(`#predict`)))
	wait, cancelWait := context.WithTimeout(ctx, 30*time.Second)
	_, err = chromedp.Run(wait, chromedp.Poll[bool](`document.querySelector("#graph svg") !== null`))
	cancelWait()
	if err != nil {
		msg, _ := chromedp.Run(ctx, chromedp.Text(`#status`))
		t.Fatalf("browser: no graph drawn (%v); the page says %q", err, msg)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("#graph svg").getBoundingClientRect().width`))
	step("graph size", err)
	if !(width > 50) {
		t.Errorf("the drawn graph is %g px wide", width)
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#edges tbody tr").length`))
	step("edge rows", err)
	summary, err := chromedp.Run(ctx, chromedp.Text(`#summary`))
	step("summary", err)
	step("effect", chromedp.Do(ctx, chromedp.Click(`#effect`)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#bars") !== null`))
	step("effect chart", err)
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#bars .bar").length`))
	step("bars", err)
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	step("screenshot", err)
	if rows != len(want.Edges) || rows == 0 {
		t.Errorf("the page lists %d edges, POST /predict returns %d", rows, len(want.Edges))
	}
	if bars != cfg.Nodes || !strings.Contains(summary, fmt.Sprintf("%d variables", cfg.Nodes)) {
		t.Errorf("effect chart with %d bars, summary %q; want %d variables", bars, summary, cfg.Nodes)
	}
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG")
	}
	if p := os.Getenv("CAUSEWAY_SCREENSHOT"); p != "" {
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
