package serve

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/advancedclimatesystems/gonnx/onnx"

	"causeway/export"
	"causeway/model"
	"causeway/onnxrt"
)

// TestMetricsMethodLabelsBounded sends 300 made-up methods: the metrics
// count them under one "other" label, so /metrics stays small.
func TestMetricsMethodLabelsBounded(t *testing.T) {
	s := newTestServer(t, Config{})
	before := do(t, s, http.MethodGet, "/metrics", nil).Body.Len()
	for i := range 300 {
		do(t, s, fmt.Sprintf("MADEUP%03d", i), "/predict", nil)
	}
	body := do(t, s, http.MethodGet, "/metrics", nil).Body.String()
	if strings.Contains(body, "MADEUP") || !strings.Contains(body, `method="other"`) {
		t.Fatalf("made-up methods in the metrics:\n%.2000s", body)
	}
	if growth := len(body) - before; growth > 20<<10 {
		t.Errorf("/metrics grew by %d bytes under 300 made-up methods (goal < 20 kB)", growth)
	}
}

func TestBearerToken(t *testing.T) {
	const token = "0123456789abcdef-secret"
	s := newTestServer(t, Config{AuthToken: token})
	body := mustJSON(t, validRequest(1, 10, 4))
	send := func(auth string) int {
		req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w.Code
	}
	for auth, want := range map[string]int{"": 401, "Bearer wrong": 401, "bearer " + token: 401, "Bearer " + token: 200} {
		if got := send(auth); got != want {
			t.Errorf("Authorization %q: status %d, want %d", auth, got, want)
		}
	}
	for _, path := range []string{"/v2/health/live", "/v2/health/ready"} {
		if w := do(t, s, http.MethodGet, path, nil); w.Code != 200 {
			t.Errorf("%s without a token: %d, want 200 (health checks stay open)", path, w.Code)
		}
	}
	for _, path := range []string{"/models", "/metrics", "/v2/models/model-a"} {
		if w := do(t, s, http.MethodGet, path, nil); w.Code != 401 {
			t.Errorf("%s without a token: %d, want 401", path, w.Code)
		}
	}
}

// TestModelListHidesForeignMetadata: a metadata key causeway does not
// write (a planted path) never reaches GET /models.
func TestModelListHidesForeignMetadata(t *testing.T) {
	c := smallConfig(model.VariantA)
	p, _ := model.Init(c, 1)
	mp, err := export.Build(c, p, export.Metadata{Name: "planted", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	mp.MetadataProps = append(mp.MetadataProps, &onnx.StringStringEntryProto{Key: "training_data_path", Value: "/secret/patients.csv"})
	b, _ := export.Marshal(mp)
	m, err := onnxrt.LoadBytes("", b)
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, Config{Models: []*onnxrt.Model{m}})
	for _, path := range []string{"/models", "/v2/models/planted"} {
		if w := do(t, s, http.MethodGet, path, nil); strings.Contains(w.Body.String(), "secret") {
			t.Errorf("%s shows a foreign metadata key: %s", path, w.Body)
		}
	}
}

// TestServeTLSAndDrain serves HTTPS with a self-signed certificate on
// loopback, then cancels: readiness turns 503 while requests are still
// answered during the drain, and Serve returns.
func TestServeTLSAndDrain(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := writeSelfSigned(t, certFile, keyFile)
	s := newTestServer(t, Config{TLSCert: certFile, TLSKey: keyFile, Drain: 600 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	url := "https://" + ln.Addr().String()
	get := func(path string) int {
		resp, err := client.Get(url + path)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("/v2/health/ready"); code != 200 {
		t.Fatalf("ready over TLS: %d", code)
	}
	cancel()
	time.Sleep(150 * time.Millisecond)
	if code := get("/v2/health/ready"); code != 503 {
		t.Errorf("ready during the drain: %d, want 503", code)
	}
	if code := get("/v2/health/live"); code != 200 {
		t.Errorf("live during the drain: %d, want 200 (still answering)", code)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after the drain")
	}
}

// writeSelfSigned writes a self-signed certificate for 127.0.0.1 and its
// key, and returns a pool that trusts it.
func writeSelfSigned(t *testing.T, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "causeway test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool
}

func TestGzipBodies(t *testing.T) {
	s := newTestServer(t, Config{MaxBody: 64 << 10})
	zip := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	send := func(body []byte, enc string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(body))
		req.Header.Set("Content-Encoding", enc)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		return w
	}
	good := mustJSON(t, validRequest(2, 10, 4))
	if w := send(zip(good), "gzip"); w.Code != 200 {
		t.Errorf("gzip request: %d %s", w.Code, w.Body)
	}
	// A bomb: 200 KB of spaces compress to a few hundred bytes.
	bomb := zip(append(bytes.Repeat([]byte(" "), 200<<10), good...))
	if w := send(bomb, "gzip"); w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "decompressed") {
		t.Errorf("gzip bomb (%d bytes): %d %s", len(bomb), w.Code, w.Body)
	}
	if w := send(good, "gzip"); w.Code != 400 || !strings.Contains(w.Body.String(), "gzip") {
		t.Errorf("plain body labelled gzip: %d %s", w.Code, w.Body)
	}
	if w := send(good, "br"); w.Code != http.StatusUnsupportedMediaType {
		t.Errorf("brotli: %d %s", w.Code, w.Body)
	}
}

// TestWorkingMemoryBound: an OIP request whose working memory (B=5000,
// N=8 on the test model) is over the configured limit gets 413 naming the
// limit and its flag, before anything runs.
func TestWorkingMemoryBound(t *testing.T) {
	a, _ := testModels(t)
	limit := a.WorkingBytes(64, 2, 8, 0)
	s := newTestServer(t, Config{MaxWorkBytes: limit, MaxBody: 64 << 20})
	w := do(t, s, http.MethodPost, "/v2/models/model-a/infer", mustJSON(t, validInfer(1, 5000, 2, 8)))
	if w.Code != http.StatusRequestEntityTooLarge || !strings.Contains(w.Body.String(), "--max-work") {
		t.Fatalf("B=5000: %d %s", w.Code, w.Body)
	}
	if w := do(t, s, http.MethodPost, "/v2/models/model-a/infer", mustJSON(t, validInfer(1, 64, 2, 8))); w.Code != 200 {
		t.Fatalf("B=64 at the limit: %d %s", w.Code, w.Body)
	}
}

// TestSlowBodiesDoNotHoldSlots: with one executor slot, clients that send
// their bodies a byte at a time hold connections, never the slot, so a
// good request beside them is answered at once.
func TestSlowBodiesDoNotHoldSlots(t *testing.T) {
	s := newTestServer(t, Config{MaxConcurrency: 1, MaxQueue: 1, Timeout: 5 * time.Second})
	srv := httptest.NewServer(s)
	defer srv.Close()
	body := mustJSON(t, validRequest(3, 10, 4))
	for range 4 {
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	}
	time.Sleep(100 * time.Millisecond) // the slow requests are in their handlers, reading
	start := time.Now()
	resp, err := http.Post(srv.URL+"/predict", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("a good request beside slow senders: %d after %s", resp.StatusCode, time.Since(start))
	}
}
