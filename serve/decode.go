package serve

import (
	"bytes"
	"unicode/utf8"

	"causeway/api"
)

// DecodePredict decodes a POST /predict body: a single request, or a batch
// {"instances": [...]} (then batch is non-nil). It returns exactly what
// api.Decode returns, errors included, but decodes the usual form of a
// request (lower-case field names, numbers, strings without escapes, no
// null) in one pass without reflection, about ten times faster than
// encoding/json; any other input goes to api.Decode, which decides. A fuzz
// test holds the two paths to the same results.
func DecodePredict(body []byte) (req *api.Request, batch *api.BatchRequest, err error) {
	if req, batch, ok := fastPredict(body); ok {
		return req, batch, nil
	}
	return api.Decode(bytes.NewReader(body))
}

// fastPredict is DecodePredict's fast path; ok is false for any input it
// does not decode exactly as api.Decode would (including every invalid
// input).
func fastPredict(body []byte) (req *api.Request, batch *api.BatchRequest, ok bool) {
	p := parser{b: body}
	r := &api.Request{}
	var instances []api.Request
	fields, hasInstances, ok := p.request(r, &instances)
	if !ok || !p.end() {
		return nil, nil, false
	}
	if hasInstances {
		// api.Decode rejects other fields beside "instances" and an
		// empty list; let it say so.
		if fields > 1 || len(instances) == 0 {
			return nil, nil, false
		}
		return nil, &api.BatchRequest{Instances: instances}, true
	}
	return r, nil, true
}

// parser reads the subset of JSON the fast paths accept. Every method
// reports ok=false, rather than an error, on anything else: the caller
// then hands the input to encoding/json, whose result and error message
// are authoritative.
type parser struct {
	b   []byte
	i   int
	pow *pow10s // set on the first number
}

// maxDepth bounds the nesting the parser follows.
const maxDepth = 32

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// consume skips white space and then c, if c is next.
func (p *parser) consume(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// peek returns the next byte after white space, or 0 at the end.
func (p *parser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// end reports whether only white space is left.
func (p *parser) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// str reads a string without escapes or control characters, in valid
// UTF-8, and returns its contents (aliasing the input).
func (p *parser) str() ([]byte, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, false
	}
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			s := p.b[start:j]
			if !utf8.Valid(s) {
				return nil, false
			}
			p.i = j + 1
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// rawString reads a string as str does and returns it with its quotes.
func (p *parser) rawString() ([]byte, bool) {
	p.ws()
	start := p.i
	if _, ok := p.str(); !ok {
		return nil, false
	}
	return p.b[start:p.i], true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// numberToken reads a number in JSON's grammar and returns its text.
func (p *parser) numberToken() ([]byte, bool) {
	p.ws()
	b, i := p.b, p.i
	start := i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return nil, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		for i < len(b) && isDigit(b[i]) {
			i++
		}
	default:
		return nil, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == d {
			return nil, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && isDigit(b[i]) {
			i++
		}
		if i == d {
			return nil, false
		}
	}
	p.i = i
	return b[start:i], true
}

// floats reads an array of numbers into dst[:0] (a new slice if dst is
// nil). An empty array gives an empty, non-nil slice, as encoding/json.
func (p *parser) floats(dst []float64) ([]float64, bool) {
	if !p.consume('[') {
		return nil, false
	}
	if dst == nil {
		dst = make([]float64, 0, 8)
	}
	dst = dst[:0]
	if p.consume(']') {
		return dst, true
	}
	for {
		v, ok := p.float()
		if !ok {
			return nil, false
		}
		dst = append(dst, v)
		if p.i < len(p.b) { // the usual case: no white space after a number
			switch p.b[p.i] {
			case ',':
				p.i++
				continue
			case ']':
				p.i++
				return dst, true
			}
		}
		if p.consume(',') {
			continue
		}
		if p.consume(']') {
			return dst, true
		}
		return nil, false
	}
}

// matrix reads an array of arrays of numbers. Rows are carved out of
// shared slabs (each row capped at its length, so appending to one cannot
// overwrite the next), which double in size up to 256 rows of the first
// row's width: a 100-row matrix takes four allocations, not a hundred.
func (p *parser) matrix() ([][]float64, bool) {
	if !p.consume('[') {
		return nil, false
	}
	rows := make([][]float64, 0, 16)
	if p.consume(']') {
		return rows, true
	}
	free := make([]float64, 256) // unused slab space; len == cap
	slabRows := 8
	for {
		if len(rows) > 0 && len(free) < len(rows[0]) {
			slabRows = min(2*slabRows, 256)
			free = make([]float64, len(rows[0])*slabRows)
		}
		row, ok := p.floats(free[:0])
		if !ok {
			return nil, false
		}
		if len(row) > 0 && &row[0] == &free[0] {
			free = free[len(row):] // the row is in the slab
		}
		row = row[:len(row):len(row)]
		rows = append(rows, row)
		if p.consume(',') {
			continue
		}
		if p.consume(']') {
			return rows, true
		}
		return nil, false
	}
}

// strings reads an array of strings.
func (p *parser) strings() ([]string, bool) {
	if !p.consume('[') {
		return nil, false
	}
	out := make([]string, 0, 8)
	if p.consume(']') {
		return out, true
	}
	for {
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
		if p.consume(',') {
			continue
		}
		if p.consume(']') {
			return out, true
		}
		return nil, false
	}
}

// Bits of the request fields request has seen.
const (
	fModel = 1 << iota
	fBase
	fInt
	fTarget
	fNode
	fMask
	fVariables
	fThreshold
	fInstances
)

// request reads one request object into r. With instances non-nil it also
// accepts an "instances" field (the top level of a body). It returns how
// many fields it read and whether one was "instances"; a repeated field
// is not on the fast path (encoding/json keeps the last).
func (p *parser) request(r *api.Request, instances *[]api.Request) (fields int, hasInstances, ok bool) {
	if !p.consume('{') {
		return 0, false, false
	}
	if p.consume('}') {
		return 0, false, true
	}
	var seen int
	for {
		key, ok := p.str()
		if !ok || !p.consume(':') {
			return 0, false, false
		}
		var bit int
		switch string(key) {
		case "model":
			bit = fModel
			var s []byte
			if s, ok = p.str(); ok {
				r.Model = string(s)
			}
		case "base_samples":
			bit = fBase
			r.BaseSamples, ok = p.matrix()
		case "int_samples":
			bit = fInt
			r.IntSamples, ok = p.matrix()
		case "target_row":
			bit = fTarget
			r.TargetRow, ok = p.floats(nil)
		case "int_mask":
			bit = fMask
			r.IntMask, ok = p.floats(nil)
		case "intervened_node":
			bit = fNode
			r.IntervenedNode, ok = p.node()
		case "variables":
			bit = fVariables
			r.Variables, ok = p.strings()
		case "threshold":
			bit = fThreshold
			var v float64
			if v, ok = p.float(); ok {
				r.Threshold = &v
			}
		case "instances":
			if instances == nil {
				return 0, false, false
			}
			bit = fInstances
			*instances, ok = p.instances()
		default:
			return 0, false, false
		}
		if !ok || seen&bit != 0 {
			return 0, false, false
		}
		seen |= bit
		fields++
		if p.consume(',') {
			continue
		}
		if p.consume('}') {
			return fields, seen&fInstances != 0, true
		}
		return 0, false, false
	}
}

// node reads intervened_node (a number or a string) with api.Node's own
// UnmarshalJSON, as encoding/json would call it.
func (p *parser) node() (*api.Node, bool) {
	var raw []byte
	var ok bool
	if p.peek() == '"' {
		raw, ok = p.rawString()
	} else {
		raw, ok = p.numberToken()
	}
	if !ok {
		return nil, false
	}
	n := &api.Node{}
	if err := n.UnmarshalJSON(raw); err != nil {
		return nil, false
	}
	return n, true
}

// instances reads the array of a batch's requests.
func (p *parser) instances() ([]api.Request, bool) {
	if !p.consume('[') {
		return nil, false
	}
	out := make([]api.Request, 0, 4)
	if p.consume(']') {
		return out, true
	}
	for {
		out = append(out, api.Request{})
		if _, _, ok := p.request(&out[len(out)-1], nil); !ok {
			return nil, false
		}
		if p.consume(',') {
			continue
		}
		if p.consume(']') {
			return out, true
		}
		return nil, false
	}
}

// skip reads any JSON value whose strings have no escapes and returns its
// text (for fields kept as json.RawMessage).
func (p *parser) skip(depth int) ([]byte, bool) {
	if depth > maxDepth {
		return nil, false
	}
	p.ws()
	start := p.i
	switch c := p.peek(); {
	case c == '"':
		if _, ok := p.str(); !ok {
			return nil, false
		}
	case c == '-' || isDigit(c):
		if _, ok := p.numberToken(); !ok {
			return nil, false
		}
	case c == 't' || c == 'f' || c == 'n':
		for _, lit := range []string{"true", "false", "null"} {
			if bytes.HasPrefix(p.b[p.i:], []byte(lit)) {
				p.i += len(lit)
				return p.b[start:p.i], true
			}
		}
		return nil, false
	case c == '[':
		p.i++
		if !p.consume(']') {
			for {
				if _, ok := p.skip(depth + 1); !ok {
					return nil, false
				}
				if p.consume(',') {
					continue
				}
				if p.consume(']') {
					break
				}
				return nil, false
			}
		}
	case c == '{':
		p.i++
		if !p.consume('}') {
			for {
				if _, ok := p.str(); !ok || !p.consume(':') {
					return nil, false
				}
				if _, ok := p.skip(depth + 1); !ok {
					return nil, false
				}
				if p.consume(',') {
					continue
				}
				if p.consume('}') {
					break
				}
				return nil, false
			}
		}
	default:
		return nil, false
	}
	return p.b[start:p.i], true
}
