package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealthcheckCommand(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/health/ready":
			w.WriteHeader(status)
		case "/slow":
			time.Sleep(500 * time.Millisecond)
		case "/moved":
			http.Redirect(w, r, "/v2/health/ready", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ready := srv.URL + "/v2/health/ready"

	if out, err := runApp("healthcheck", "--url", ready); err != nil || !strings.Contains(out, "200 OK") {
		t.Errorf("ready server: err = %v, output %q", err, out)
	}
	status = http.StatusServiceUnavailable
	if _, err := runApp("healthcheck", "--url", ready); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("shutting-down server: err = %v, want a 503 failure", err)
	}
	status = http.StatusOK
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--url", srv.URL + "/slow", "--timeout", "100ms"}, "no answer within 100ms"},
		{[]string{"--url", srv.URL + "/moved"}, "302"},
		{[]string{"--url", srv.URL + "/nope"}, "404"},
		{[]string{"--url", "localhost:8080/v2/health/ready"}, "want an http"},
		{[]string{"--url", ready, "--timeout", "0s"}, "must be positive"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		if _, err := runApp(append([]string{"healthcheck"}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("healthcheck %q: err = %v, want one containing %q", c.args, err, c.want)
		}
	}

	// Nothing listening: a connection error, promptly.
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := closed.URL
	closed.Close()
	start := time.Now()
	if _, err := runApp("healthcheck", "--url", addr+"/v2/health/ready"); err == nil {
		t.Error("healthcheck of a closed port succeeded")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("healthcheck of a closed port took %v", d)
	}
}
