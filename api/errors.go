package api

// ErrorBody is the JSON body of every error response of causeway serve
// (4xx and 5xx, on every endpoint).
type ErrorBody struct {
	// Error says what is wrong and, where it can, how to fix it; for a
	// validation error it starts with the field ("base_samples[3]: ...").
	Error string `json:"error"`
	// Field is the JSON path of the offending field, when there is one.
	Field string `json:"field,omitempty"`
	// RequestID is the request's X-Request-Id.
	RequestID string `json:"request_id,omitempty"`
}
