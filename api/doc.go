// Package api defines causeway's prediction requests and responses: the
// JSON of the REST contract's POST /predict, its batch form
// {"instances": [...]} → {"predictions": [...]}, their validation, their
// conversion to the executor's tensors (contract.Pairs), and predictions
// for a whole data set in the `causeway scm` CSV layout. It has no HTTP in
// it: `causeway predict` and `causeway serve` share it.
//
// It also holds the rest of causeway serve's wire formats, so that every
// body the server reads or writes is defined here: the Open Inference
// Protocol v2 infer request and response (InferRequest, InferResponse; JSON
// or the binary tensor data extension, DecodeInferBody) with their checks
// against the tensor contracts (InferRequest.Pairs, InferRequest.DataSet),
// the model listing of GET /models (ModelList), the OIP server and model
// metadata (ServerMetadata, ModelMetadata) and the error body (ErrorBody).
// Decoding and checking return an *Error or a plain error; the status code
// is the server's (400 for all of them).
//
// A request carries one observational sample matrix and one
// interventional sample matrix over the same N variables, and says which
// variable was intervened on:
//
//	{
//	  "base_samples": [[0.1, 1.2, -0.3], ...],   // S rows of N values
//	  "int_samples":  [[5.0, 6.1,  2.2], ...],   // S rows under do(x0 = 5)
//	  "intervened_node": 0,                      // or "x0", or "int_mask": [1, 0, 0]
//	  "target_row": [0.2, 1.0, -0.1],            // optional
//	  "variables": ["x0", "x1", "x2"],           // optional
//	  "threshold": 0.5                           // optional
//	}
//
// and the response gives the predicted shift of the target row (delta),
// the edge probabilities (adjacency, [i][j] is the edge i → j, zero
// diagonal) and the edges above the threshold, most probable first.
//
// Decode reads the usual form of a request (lower-case field names,
// numbers, strings without escapes) in one pass without reflection, about
// fifteen times faster than encoding/json, and hands anything else to
// encoding/json, whose results and errors are authoritative; a fuzz test
// holds the two paths to the same results. Decoding and validation never
// panic on any input; every validation error is an *Error naming the JSON
// field and the problem.
package api
