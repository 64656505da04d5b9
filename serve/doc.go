// Package serve is causeway's REST sidecar: it serves exported models
// (onnxrt.Model) over HTTP with echo, speaking causeway's REST contract
// and the Open Inference Protocol v2 (KServe / Triton), so clients can move
// between this server and Triton or KServe serving the same .onnx files.
// Every body it reads or writes is a type of package api, which decodes and
// checks requests; serve holds the HTTP: routing, status codes, limits,
// metrics, logging and model loading.
//
// Endpoints:
//
//	POST /predict                       a request or {"instances": [...]} (package api's JSON)
//	GET  /v2                            server metadata {name, version, extensions}
//	GET  /v2/health/live                200 while the process runs
//	GET  /v2/health/ready               200 while it accepts work, 503 while shutting down
//	GET  /v2/models/{name}              model metadata: tensor names, datatypes, shapes
//	GET  /v2/models/{name}/ready        200 if the model is loaded (and the server ready)
//	POST /v2/models/{name}/infer        OIP v2 inference on the contract's four tensors, JSON or
//	                                    binary tensor data (the OIP binary_tensor_data extension)
//	GET  /models                        every model with its architecture and training summary
//	GET  /metrics                       Prometheus text exposition
//
// (The /v2/models/{name}/versions/1/... forms are accepted too.)
//
// Every error is a 4xx or 5xx response with the JSON body {"error": "..."}
// (api.ErrorBody) that names the offending field and the problem (validation errors carry
// the field separately in "field"), and every response has an X-Request-Id
// header (the client's, if it sent a sane one). A panic anywhere, the
// executor's kernels included, becomes a 500 naming the request id; the
// process keeps serving.
//
// Inference requests (/predict and infer) are admitted by a semaphore of
// Config.MaxConcurrency slots with a bounded wait queue: when every slot is
// busy and Config.MaxQueue requests already wait, or when a request waits
// past its deadline (Config.Timeout), the answer is 503 with Retry-After: 1.
// A prediction still running at the deadline stops between two nodes of
// the model (onnxrt.Model.RunContext) and answers 503 too, so a timed-out
// request frees its slot and its core at once. Predictions run on the
// request's own goroutine: no hand-off, and never more than MaxConcurrency
// at once. Bodies above Config.MaxBody are refused with
// 413: at once when Content-Length says so, else when the limit is reached.
//
// Decoding is on the hot path: a 20-variable, 100-sample request is about
// 76 kB of JSON, which encoding/json takes longer to decode than the
// executor takes to run a default-size model on it. api.DecodeBytes and
// api.DecodeInfer therefore decode the usual form of a request in one
// reflection-free pass (package internal/jsonscan), about fifteen times
// faster, and leave everything else, errors included, to encoding/json.
// Clients that can, send OIP infer tensors as binary data and skip JSON
// numbers altogether. Responses are written by hand-written encoders that
// produce encoding/json's exact bytes.
//
// Each Server has its own Prometheus registry (no global state): request
// counts by endpoint, method and code, errors by code, latency histograms
// per endpoint and per model, executor time per model, requests in flight
// and queued, plus the Go and process collectors.
//
// The access log (Config.Logger) has one record per request: id, method,
// path, status, bytes in and out, milliseconds, remote address, model and
// error; health probes and metric scrapes that succeed are logged at Debug
// level, everything else at Info. A client that goes away before its
// answer is logged with status 499.
//
// Serve runs an http.Server with read and write timeouts and shuts it down
// gracefully when its context ends: readiness turns 503, the listener
// closes, and requests in flight finish.
package serve
