package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"causeway/api"
	"causeway/model"
	"causeway/onnxrt"
	"causeway/onnxrt/onnxrttest"
	"causeway/serve"
)

// smallModel returns a small freshly initialised Model A (a stand-in for a
// trained models/model-a.onnx).
func smallModel() *onnxrt.Model {
	m, err := onnxrttest.Small(model.VariantA)
	if err != nil {
		log.Fatal(err)
	}
	return m
}

// Example serves a model and posts one /predict request to it.
func Example() {
	s, err := serve.New(serve.Config{Models: []*onnxrt.Model{smallModel()}, Version: "example"})
	if err != nil {
		log.Fatal(err)
	}
	ts := httptest.NewServer(s) // on 127.0.0.1
	defer ts.Close()

	resp, err := http.Post(ts.URL+"/predict", "application/json", strings.NewReader(`{
	  "base_samples": [[0.1, 1.2, -0.3], [0.4, 0.9, 0.1], [-0.2, 1.1, 0.0]],
	  "int_samples":  [[5.0, 6.1, 2.2], [5.0, 5.8, 2.0], [5.0, 6.3, 2.5]],
	  "intervened_node": "rain",
	  "variables": ["rain", "sprinkler", "wet"]
	}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var r api.Response
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, r.Model, r.Variables, len(r.Delta), len(r.Adjacency))

	// A bad request names the field.
	resp, err = http.Post(ts.URL+"/predict", "application/json", strings.NewReader(`{"base_samples": [[1, 2], [3]]}`))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var e api.ErrorBody
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, e.Error)
	// Output:
	// 200 model-a [rain sprinkler wet] 3 3
	// 400 base_samples[1]: has 1 values, row 0 of base_samples has 2 (rows must all have N values)
}

// ExampleServer_Serve runs a server until SIGTERM or SIGINT, then shuts it
// down gracefully, as `causeway serve` does.
func ExampleServer_Serve() {
	models, skipped, err := serve.LoadDir("models")
	for _, s := range skipped {
		log.Printf("skipping %s", s)
	}
	if err != nil {
		log.Fatal(err)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	s, err := serve.New(serve.Config{Models: models, Version: "dev", Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := s.Serve(ctx, ln); err != nil {
		log.Fatal(err)
	}
}
