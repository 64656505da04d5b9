package api

import "causeway/internal/jsonscan"

// fastDecode is Decode's fast path: it decodes the usual form of a request
// (lower-case field names, numbers, strings without escapes, no null) in
// one pass without reflection, about ten times faster than encoding/json.
// ok is false for any input it does not decode exactly as the
// encoding/json path would (including every invalid input); a fuzz test
// holds the two paths to the same results.
func fastDecode(body []byte) (req *Request, batch *BatchRequest, ok bool) {
	p := jsonscan.New(body)
	r := &Request{}
	var instances []Request
	fields, hasInstances, ok := scanRequest(p, r, &instances)
	if !ok || !p.End() {
		return nil, nil, false
	}
	if hasInstances {
		// The strict path rejects other fields beside "instances" and an
		// empty list; let it say so.
		if fields > 1 || len(instances) == 0 {
			return nil, nil, false
		}
		return nil, &BatchRequest{Instances: instances}, true
	}
	return r, nil, true
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

// scanRequest reads one request object into r. With instances non-nil it also
// accepts an "instances" field (the top level of a body). It returns how
// many fields it read and whether one was "instances"; a repeated field
// is not on the fast path (encoding/json keeps the last).
func scanRequest(p *jsonscan.Scanner, r *Request, instances *[]Request) (fields int, hasInstances, ok bool) {
	if !p.Consume('{') {
		return 0, false, false
	}
	if p.Consume('}') {
		return 0, false, true
	}
	var seen int
	for {
		key, ok := p.Str()
		if !ok || !p.Consume(':') {
			return 0, false, false
		}
		var bit int
		switch string(key) {
		case "model":
			bit = fModel
			var s []byte
			if s, ok = p.Str(); ok {
				r.Model = string(s)
			}
		case "base_samples":
			bit = fBase
			r.BaseSamples, ok = p.Matrix()
		case "int_samples":
			bit = fInt
			r.IntSamples, ok = p.Matrix()
		case "target_row":
			bit = fTarget
			r.TargetRow, ok = p.Floats(nil)
		case "int_mask":
			bit = fMask
			r.IntMask, ok = p.Floats(nil)
		case "intervened_node":
			bit = fNode
			r.IntervenedNode, ok = scanNode(p)
		case "variables":
			bit = fVariables
			r.Variables, ok = p.Strings()
		case "threshold":
			bit = fThreshold
			var v float64
			if v, ok = p.Float(); ok {
				r.Threshold = &v
			}
		case "instances":
			if instances == nil {
				return 0, false, false
			}
			bit = fInstances
			*instances, ok = scanInstances(p)
		default:
			return 0, false, false
		}
		if !ok || seen&bit != 0 {
			return 0, false, false
		}
		seen |= bit
		fields++
		if p.Consume(',') {
			continue
		}
		if p.Consume('}') {
			return fields, seen&fInstances != 0, true
		}
		return 0, false, false
	}
}

// scanNode reads intervened_node (a number or a string) with Node's own
// UnmarshalJSON, as encoding/json would call it.
func scanNode(p *jsonscan.Scanner) (*Node, bool) {
	var raw []byte
	var ok bool
	if p.Peek() == '"' {
		raw, ok = p.RawString()
	} else {
		raw, ok = p.Number()
	}
	if !ok {
		return nil, false
	}
	n := &Node{}
	if err := n.UnmarshalJSON(raw); err != nil {
		return nil, false
	}
	return n, true
}

// scanInstances reads the array of a batch's requests.
func scanInstances(p *jsonscan.Scanner) ([]Request, bool) {
	if !p.Consume('[') {
		return nil, false
	}
	out := make([]Request, 0, 4)
	if p.Consume(']') {
		return out, true
	}
	for {
		out = append(out, Request{})
		if _, _, ok := scanRequest(p, &out[len(out)-1], nil); !ok {
			return nil, false
		}
		if p.Consume(',') {
			continue
		}
		if p.Consume(']') {
			return out, true
		}
		return nil, false
	}
}
