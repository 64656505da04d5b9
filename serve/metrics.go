package serve

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are one server's Prometheus collectors, on its own registry.
type metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec   // endpoint, method, code
	errors    *prometheus.CounterVec   // endpoint, code
	latency   *prometheus.HistogramVec // endpoint
	model     *prometheus.HistogramVec // model, endpoint
	inference *prometheus.HistogramVec // model
	inFlight  prometheus.Gauge
	queued    prometheus.Gauge
	rejected  *prometheus.CounterVec // reason
}

func newMetrics(version string, models int) *metrics {
	const ns = "causeway"
	latencyBuckets := prometheus.ExponentialBuckets(0.0005, 2, 16) // 0.5 ms to 16 s
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "http_requests_total",
			Help: "HTTP requests answered, by endpoint (route pattern), method and status code.",
		}, []string{"endpoint", "method", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "http_errors_total",
			Help: "HTTP requests answered with a 4xx or 5xx status, by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "http_request_duration_seconds",
			Help:    "Time from receiving a request's headers to writing its response, by endpoint.",
			Buckets: latencyBuckets,
		}, []string{"endpoint"}),
		model: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "model_request_duration_seconds",
			Help:    "Latency of inference requests (/predict, infer) by model and endpoint, errors included.",
			Buckets: latencyBuckets,
		}, []string{"model", "endpoint"}),
		inference: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "model_inference_duration_seconds",
			Help:    "Time in the executor per inference request (for /predict batches, all instances), by model.",
			Buckets: latencyBuckets,
		}, []string{"model"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "inference_queued",
			Help: "Inference requests waiting for an executor slot.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "inference_rejected_total",
			Help: "Inference requests answered 503: saturated (every slot busy, queue full), queue_timeout (deadline passed while waiting) or run_timeout (deadline passed while running).",
		}, []string{"reason"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: ns, Name: "build_info", Help: "Always 1; the version label is the causeway version.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	build.Set(1)
	loaded := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: ns, Name: "models_loaded", Help: "Models this server serves.",
	})
	loaded.Set(float64(models))
	m.reg.MustRegister(m.requests, m.errors, m.latency, m.model, m.inference, m.inFlight, m.queued, m.rejected,
		build, loaded,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, r := range []string{"saturated", "queue_timeout", "run_timeout"} {
		m.rejected.WithLabelValues(r)
	}
	return m
}

func codeLabel(status int) string {
	switch status {
	case http.StatusOK:
		return "200"
	case http.StatusBadRequest:
		return "400"
	}
	return strconv.Itoa(status)
}
