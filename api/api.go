package api

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"causeway/contract"
	"causeway/onnxrt"
)

// DefaultThreshold is the edge probability above which a pair is listed in
// Response.Edges when the request does not set threshold.
const DefaultThreshold = 0.5

// Node names the intervened variable: a 0-based index or, when the request
// has variables, a name. In JSON it is a number or a string.
type Node struct {
	Index int
	Name  string // set when given by name
}

// UnmarshalJSON accepts an integer (3 or 3.0) or a non-empty string.
func (n *Node) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			return fieldErr("intervened_node", "empty variable name")
		}
		*n = Node{Index: -1, Name: s}
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return fieldErr("intervened_node", "%s is not a variable index (an integer) or name (a string)", truncate(string(b), 20))
	}
	*n = Node{Index: int(f)}
	return nil
}

// MarshalJSON writes the name if set, else the index.
func (n Node) MarshalJSON() ([]byte, error) {
	if n.Name != "" {
		return json.Marshal(n.Name)
	}
	return json.Marshal(n.Index)
}

// Request is one POST /predict request.
type Request struct {
	// Model names the model to use (the server's choice when empty).
	Model string `json:"model,omitempty"`
	// BaseSamples are S ≥ 2 observational rows of N ≥ 2 values.
	BaseSamples [][]float64 `json:"base_samples"`
	// IntSamples are S rows of the N variables under one hard intervention
	// (the same S as BaseSamples).
	IntSamples [][]float64 `json:"int_samples"`
	// TargetRow is the row whose shift under the intervention is
	// predicted; when absent it is the mean of BaseSamples per variable,
	// so Delta is the predicted shift of the observational mean.
	TargetRow []float64 `json:"target_row,omitempty"`
	// IntervenedNode names the intervened variable; give it or IntMask.
	IntervenedNode *Node `json:"intervened_node,omitempty"`
	// IntMask is the one-hot mask of the intervened variable (1 at it, 0
	// elsewhere); give it or IntervenedNode.
	IntMask []float64 `json:"int_mask,omitempty"`
	// Variables name the N variables (default x0..x{N−1}); they label the
	// edges and may name IntervenedNode.
	Variables []string `json:"variables,omitempty"`
	// Threshold is the probability above which an edge is listed, in
	// (0, 1); default DefaultThreshold.
	Threshold *float64 `json:"threshold,omitempty"`
}

// UnmarshalJSON reads a Request as encoding/json would, except that a null
// where a number belongs is an error naming the element (encoding/json
// would read it as 0 and answer for data the client did not send).
func (r *Request) UnmarshalJSON(b []byte) error {
	type plain Request
	var raw struct {
		plain
		BaseSamples [][]*float64 `json:"base_samples"`
		IntSamples  [][]*float64 `json:"int_samples"`
		TargetRow   []*float64   `json:"target_row,omitempty"`
		IntMask     []*float64   `json:"int_mask,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	*r = Request(raw.plain)
	var err error
	if r.BaseSamples, err = nonNullMatrix("base_samples", raw.BaseSamples); err != nil {
		return err
	}
	if r.IntSamples, err = nonNullMatrix("int_samples", raw.IntSamples); err != nil {
		return err
	}
	if r.TargetRow, err = nonNullVector("target_row", raw.TargetRow); err != nil {
		return err
	}
	r.IntMask, err = nonNullVector("int_mask", raw.IntMask)
	return err
}

func nonNullMatrix(field string, m [][]*float64) ([][]float64, error) {
	if m == nil {
		return nil, nil
	}
	out := make([][]float64, len(m))
	for i, row := range m {
		if row == nil {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", field, i), "is null: every row is an array of numbers")
		}
		v, err := nonNullVector(fmt.Sprintf("%s[%d]", field, i), row)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func nonNullVector(field string, v []*float64) ([]float64, error) {
	if v == nil {
		return nil, nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		if x == nil {
			return nil, fieldErr(fmt.Sprintf("%s[%d]", field, i), "is null: every value must be a number")
		}
		out[i] = *x
	}
	return out, nil
}

// Edge is one predicted edge From → To.
type Edge struct {
	From        string  `json:"from"`
	To          string  `json:"to"`
	Probability float32 `json:"probability"`
}

// Response is the answer to one Request.
type Response struct {
	// Model is the name of the model that answered.
	Model string `json:"model"`
	// Variables label the entries of Delta and the rows and columns of
	// Adjacency.
	Variables []string `json:"variables"`
	// Delta is the predicted intervened row minus the target row, per
	// variable.
	Delta []float32 `json:"delta"`
	// Adjacency holds edge probabilities: [i][j] is the probability of
	// the edge i → j (parent row, child column); the diagonal is 0.
	Adjacency [][]float32 `json:"adjacency"`
	// Threshold is the threshold that selected Edges.
	Threshold float64 `json:"threshold"`
	// Edges are the pairs with probability above Threshold, most probable
	// first.
	Edges []Edge `json:"edges"`
}

// BatchRequest is the batch form of /predict.
type BatchRequest struct {
	Instances []Request `json:"instances"`
}

// BatchResponse answers a BatchRequest, one prediction per instance in
// order.
type BatchResponse struct {
	Predictions []Response `json:"predictions"`
}

// Error is a validation error: the JSON field it concerns (a path such as
// "instances[2].base_samples[7]") and what is wrong with it.
type Error struct {
	Field   string
	Problem string
}

func (e *Error) Error() string { return e.Field + ": " + e.Problem }

func fieldErr(field, format string, args ...any) *Error {
	return &Error{Field: field, Problem: fmt.Sprintf(format, args...)}
}

// prefix puts path in front of the field of an *Error.
func prefix(path string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Field: path + "." + e.Field, Problem: e.Problem}
	}
	return fmt.Errorf("%s: %w", path, err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Decode reads one JSON request or batch request from r: a single object
// with "instances" is a batch (batch is non-nil), anything else a single
// request. Unknown fields and trailing data are errors.
func Decode(r io.Reader) (req *Request, batch *BatchRequest, err error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, fmt.Errorf("read request: %w", err)
	}
	return DecodeBytes(data)
}

// DecodeBytes is Decode on a body in memory. It does not keep data.
func DecodeBytes(data []byte) (req *Request, batch *BatchRequest, err error) {
	if req, batch, ok := fastDecode(data); ok {
		return req, batch, nil
	}
	return decodeSlow(data)
}

// decodeSlow decodes with encoding/json, whose results and errors are
// authoritative: a map probe for "instances", then a strict decode.
func decodeSlow(data []byte) (req *Request, batch *BatchRequest, err error) {
	if err := CheckKeys(data, knownKeys); err != nil {
		return nil, nil, err
	}
	var probe map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(data)).Decode(&probe); err != nil {
		return nil, nil, fmt.Errorf("request is not a JSON object: %w", err)
	}
	if _, ok := probe["instances"]; ok {
		batch = &BatchRequest{}
		if err := decodeStrict(data, batch); err != nil {
			return nil, nil, err
		}
		if len(batch.Instances) == 0 {
			return nil, nil, fieldErr("instances", "empty: send at least one request")
		}
		return nil, batch, nil
	}
	req = &Request{}
	if err := decodeStrict(data, req); err != nil {
		return nil, nil, err
	}
	return req, nil, nil
}

func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var fe *Error
		if errors.As(err, &fe) {
			return fe
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			if num, ok := strings.CutPrefix(te.Value, "number "); ok && strings.Contains(te.Type.String(), "float") {
				return fieldErr(te.Field, "%s overflows float32 (every value must be a finite float32)", num)
			}
			return fieldErr(te.Field, "got a JSON %s, want %s", te.Value, jsonKind(te.Type.String()))
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if strings.HasPrefix(msg, "unknown field") {
			return fmt.Errorf("request has an %s (known fields: model, base_samples, int_samples, target_row, intervened_node, int_mask, variables, threshold; batches: instances)", msg)
		}
		return fmt.Errorf("malformed request: %s", msg)
	}
	// More reports false for a stray '}' or ']', so read one more token:
	// anything but the end of the input is trailing data.
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("malformed request: trailing data after the JSON object")
	}
	return nil
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[][]"):
		return "an array of arrays of numbers"
	case strings.HasPrefix(goType, "[]string"):
		return "an array of strings"
	case strings.HasPrefix(goType, "[]"):
		return "an array of numbers"
	case goType == "float64", goType == "*float64":
		return "a number"
	case goType == "string":
		return "a string"
	}
	return goType
}

// Shape returns the request's S and N as given by base_samples (0 when it
// is empty).
func (r *Request) Shape() (s, n int) {
	s = len(r.BaseSamples)
	if s > 0 {
		n = len(r.BaseSamples[0])
	}
	return s, n
}

// Validate checks r against the contract and a model that accepts at most
// maxNodes variables (0: no limit). It returns an *Error naming the first
// offending field.
func (r *Request) Validate(maxNodes int) error {
	s, n := r.Shape()
	switch {
	case len(r.BaseSamples) == 0:
		return fieldErr("base_samples", "missing: send S ≥ 2 observational rows of N ≥ 2 values")
	case s < 2:
		return fieldErr("base_samples", "has %d row; the standard deviations need S ≥ 2 rows", s)
	case n < 2:
		return fieldErr("base_samples[0]", "has %d values; need N ≥ 2 variables", n)
	case maxNodes > 0 && n > maxNodes:
		return fieldErr("base_samples[0]", "has %d variables; the model supports at most max_nodes=%d", n, maxNodes)
	}
	if err := checkMatrix("base_samples", r.BaseSamples, n); err != nil {
		return err
	}
	switch {
	case len(r.IntSamples) == 0:
		return fieldErr("int_samples", "missing: send %d rows of %d values sampled under the intervention", s, n)
	case len(r.IntSamples) != s:
		return fieldErr("int_samples", "has %d rows, base_samples %d; the model takes the same number of samples S for both", len(r.IntSamples), s)
	}
	if err := checkMatrix("int_samples", r.IntSamples, n); err != nil {
		return err
	}
	if r.TargetRow != nil {
		if err := checkVector("target_row", r.TargetRow, n); err != nil {
			return err
		}
	}
	if r.Variables != nil {
		if len(r.Variables) != n {
			return fieldErr("variables", "has %d names for %d variables", len(r.Variables), n)
		}
		seen := make(map[string]int, n)
		for i, v := range r.Variables {
			if strings.TrimSpace(v) == "" {
				return fieldErr(fmt.Sprintf("variables[%d]", i), "empty name")
			}
			if j, dup := seen[v]; dup {
				return fieldErr(fmt.Sprintf("variables[%d]", i), "%q repeats variables[%d]", v, j)
			}
			seen[v] = i
		}
	}
	switch {
	case r.IntervenedNode == nil && r.IntMask == nil:
		return fieldErr("intervened_node", "missing: name the intervened variable (intervened_node: index or name) or send int_mask")
	case r.IntervenedNode != nil && r.IntMask != nil:
		return fieldErr("intervened_node", "give either intervened_node or int_mask, not both")
	case r.IntervenedNode != nil:
		if _, err := r.intervened(n); err != nil {
			return err
		}
	default:
		if err := checkVector("int_mask", r.IntMask, n); err != nil {
			return err
		}
		ones := 0
		for i, v := range r.IntMask {
			switch v {
			case 1:
				ones++
			case 0:
			default:
				return fieldErr(fmt.Sprintf("int_mask[%d]", i), "is %g; the mask is one-hot (1 at the intervened variable, 0 elsewhere)", v)
			}
		}
		if ones != 1 {
			return fieldErr("int_mask", "has %d ones; the mask is one-hot (exactly one 1)", ones)
		}
	}
	if r.Threshold != nil {
		if t := *r.Threshold; !(t > 0 && t < 1) {
			return fieldErr("threshold", "is %g; want a probability in (0, 1)", t)
		}
	}
	return nil
}

// intervened returns the index of IntervenedNode among n variables.
func (r *Request) intervened(n int) (int, error) {
	node := r.IntervenedNode
	if node.Name != "" {
		for i, v := range r.labels(n) {
			if v == node.Name {
				return i, nil
			}
		}
		if r.Variables == nil {
			return 0, fieldErr("intervened_node", "%q is not a variable (without variables the names are x0..x%d)", node.Name, n-1)
		}
		return 0, fieldErr("intervened_node", "%q is not in variables", node.Name)
	}
	if node.Index < 0 || node.Index >= n {
		return 0, fieldErr("intervened_node", "index %d is out of range [0, %d)", node.Index, n)
	}
	return node.Index, nil
}

func checkMatrix(field string, m [][]float64, n int) error {
	for i, row := range m {
		if len(row) != n {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "has %d values, row 0 of base_samples has %d (rows must all have N values)", len(row), n)
		}
		for j, v := range row {
			if !finite32(v) {
				return fieldErr(fmt.Sprintf("%s[%d][%d]", field, i, j), "%g is not a finite float32", v)
			}
		}
	}
	return nil
}

func checkVector(field string, v []float64, n int) error {
	if len(v) != n {
		return fieldErr(field, "has %d values for %d variables", len(v), n)
	}
	for i, x := range v {
		if !finite32(x) {
			return fieldErr(fmt.Sprintf("%s[%d]", field, i), "%g is not a finite float32", x)
		}
	}
	return nil
}

func finite32(v float64) bool {
	return !math.IsNaN(v) && math.Abs(v) <= math.MaxFloat32
}

// labels returns the variable names: Variables, or x0..x{n−1}.
func (r *Request) labels(n int) []string {
	if len(r.Variables) == n {
		return r.Variables
	}
	out := make([]string, n)
	for i := range out {
		out[i] = "x" + strconv.Itoa(i)
	}
	return out
}

// Inputs converts a validated request to a B=1 executor batch. The target
// row defaults to the mean of base_samples per variable.
func (r *Request) Inputs() (contract.Pairs, error) {
	if err := r.Validate(0); err != nil {
		return contract.Pairs{}, err
	}
	s, n := r.Shape()
	in := contract.Pairs{B: 1, S: s, N: n,
		Base: make([]float32, s*n), Int: make([]float32, s*n),
		Target: make([]float32, n), Mask: make([]float32, n)}
	for i := 0; i < s; i++ {
		for j := 0; j < n; j++ {
			in.Base[i*n+j] = float32(r.BaseSamples[i][j])
			in.Int[i*n+j] = float32(r.IntSamples[i][j])
		}
	}
	if r.TargetRow != nil {
		for j, v := range r.TargetRow {
			in.Target[j] = float32(v)
		}
	} else {
		for j := 0; j < n; j++ {
			var sum float64
			for i := 0; i < s; i++ {
				sum += r.BaseSamples[i][j]
			}
			in.Target[j] = float32(sum / float64(s))
		}
	}
	if r.IntMask != nil {
		for j, v := range r.IntMask {
			in.Mask[j] = float32(v)
		}
	} else {
		k, err := r.intervened(n)
		if err != nil {
			return contract.Pairs{}, err
		}
		in.Mask[k] = 1
	}
	return in, nil
}

// threshold returns the request's threshold or the default.
func (r *Request) threshold() float64 {
	if r.Threshold != nil {
		return *r.Threshold
	}
	return DefaultThreshold
}

// NewResponse builds the response to r from one batch element's outputs:
// delta [N] and adj_logits [N·N].
func NewResponse(modelName string, r *Request, delta, adjLogits []float32) *Response {
	n := len(delta)
	return build(modelName, r.labels(n), delta, adjLogits, r.threshold())
}

func build(modelName string, labels []string, delta, adjLogits []float32, threshold float64) *Response {
	adj := Probabilities(adjLogits, len(delta))
	return &Response{
		Model:     modelName,
		Variables: labels,
		Delta:     append([]float32(nil), delta...),
		Adjacency: adj,
		Threshold: threshold,
		Edges:     Edges(adj, labels, threshold),
	}
}

// Probabilities turns edge logits [N·N] into probabilities σ(logit) as an
// N×N matrix with a zero diagonal.
func Probabilities(adjLogits []float32, n int) [][]float32 {
	adj := make([][]float32, n)
	for i := range adj {
		adj[i] = make([]float32, n)
		for j := range adj[i] {
			if i != j {
				adj[i][j] = float32(1 / (1 + math.Exp(-float64(adjLogits[i*n+j]))))
			}
		}
	}
	return adj
}

// Edges lists the pairs i → j of adj with probability above threshold,
// most probable first (ties in row-major order), labelled with labels.
func Edges(adj [][]float32, labels []string, threshold float64) []Edge {
	type cand struct {
		i, j int
		p    float32
	}
	var cs []cand
	for i, row := range adj {
		for j, p := range row {
			if i != j && float64(p) > threshold {
				cs = append(cs, cand{i, j, p})
			}
		}
	}
	// Ties broken by position give the documented order without a stable
	// sort, which costs several times more (merge-insertion) at N=20.
	slices.SortFunc(cs, func(a, b cand) int {
		return cmp.Or(cmp.Compare(b.p, a.p), cmp.Compare(a.i, b.i), cmp.Compare(a.j, b.j))
	})
	edges := make([]Edge, len(cs))
	for k, c := range cs {
		edges[k] = Edge{From: labels[c.i], To: labels[c.j], Probability: c.p}
	}
	return edges
}

// Predict validates r against m, runs it and builds the response.
func Predict(ctx context.Context, m *onnxrt.Model, r *Request) (*Response, error) {
	if err := r.Validate(m.MaxNodes()); err != nil {
		return nil, err
	}
	in, err := r.Inputs()
	if err != nil {
		return nil, err
	}
	out, err := m.RunContext(ctx, in)
	if err != nil {
		return nil, err
	}
	return NewResponse(m.Name(), r, out.Delta, out.AdjLogits), nil
}

// MaxBatch bounds how many requests PredictBatch and PredictDataset run in
// one executor call.
const MaxBatch = 64

// PredictBatch validates every instance (errors name it:
// "instances[2].base_samples: ..."), runs instances of equal shape (S, N)
// together as one batch, and answers in order.
func PredictBatch(ctx context.Context, m *onnxrt.Model, b *BatchRequest) (*BatchResponse, error) {
	if len(b.Instances) == 0 {
		return nil, fieldErr("instances", "empty: send at least one request")
	}
	ins := make([]contract.Pairs, len(b.Instances))
	for i := range b.Instances {
		r := &b.Instances[i]
		path := fmt.Sprintf("instances[%d]", i)
		if err := r.Validate(m.MaxNodes()); err != nil {
			return nil, prefix(path, err)
		}
		in, err := r.Inputs()
		if err != nil {
			return nil, prefix(path, err)
		}
		ins[i] = in
	}
	outs, err := runGrouped(ctx, m, ins)
	if err != nil {
		return nil, err
	}
	resp := &BatchResponse{Predictions: make([]Response, len(ins))}
	for i := range ins {
		resp.Predictions[i] = *NewResponse(m.Name(), &b.Instances[i], outs[i].Delta, outs[i].AdjLogits)
	}
	return resp, nil
}

// runGrouped runs B=1 inputs, batching those of equal (S, N) up to
// MaxBatch per call, and returns each one's outputs.
func runGrouped(ctx context.Context, m *onnxrt.Model, ins []contract.Pairs) ([]onnxrt.Outputs, error) {
	outs := make([]onnxrt.Outputs, len(ins))
	groups := map[[2]int][]int{}
	var order [][2]int
	for i, in := range ins {
		k := [2]int{in.S, in.N}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		idx := groups[k]
		for len(idx) > 0 {
			part := idx[:min(len(idx), MaxBatch)]
			idx = idx[len(part):]
			s, n := k[0], k[1]
			b := contract.Pairs{B: len(part), S: s, N: n}
			for _, i := range part {
				b.Base = append(b.Base, ins[i].Base...)
				b.Int = append(b.Int, ins[i].Int...)
				b.Target = append(b.Target, ins[i].Target...)
				b.Mask = append(b.Mask, ins[i].Mask...)
			}
			out, err := m.RunContext(ctx, b)
			if err != nil {
				return nil, err
			}
			for e, i := range part {
				outs[i] = onnxrt.Outputs{
					Delta:     out.Delta[e*n : (e+1)*n],
					AdjLogits: out.AdjLogits[e*n*n : (e+1)*n*n],
				}
			}
		}
	}
	return outs, nil
}
