package serve

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
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
