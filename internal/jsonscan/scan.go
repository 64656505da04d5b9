// Package jsonscan reads, without reflection, the subset of JSON that
// causeway's request bodies use in practice: objects, arrays, numbers and
// strings without escapes. It is the fast path of the /predict and OIP
// decoders (package api and package serve): a Scanner reports ok=false,
// never an error, on anything outside that subset or invalid, and the
// caller then decodes with encoding/json, whose result and error message
// are authoritative. Fuzz tests hold each fast path to its encoding/json
// twin.
//
// Numbers convert exactly as encoding/json converts them (see
// Scanner.Float).
package jsonscan

import (
	"bytes"
	"unicode/utf8"
)

// Scanner reads JSON from a byte slice. Every method skips white space
// first and reports ok=false, rather than an error, on input outside the
// subset it reads; what a method returns as []byte aliases the input.
type Scanner struct {
	b   []byte
	i   int
	pow *pow10s // set on the first number
}

// New returns a Scanner at the start of b.
func New(b []byte) *Scanner { return &Scanner{b: b} }

// Pos is the offset of the next unread byte.
func (p *Scanner) Pos() int { return p.i }

// maxDepth bounds the nesting Skip and Flatten follow.
const maxDepth = 32

func (p *Scanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// Consume skips white space and then c, if c is next.
func (p *Scanner) Consume(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// Peek returns the next byte after white space, or 0 at the end.
func (p *Scanner) Peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// End reports whether only white space is left.
func (p *Scanner) End() bool {
	p.ws()
	return p.i == len(p.b)
}

// Str reads a string without escapes or control characters, in valid
// UTF-8, and returns its contents (aliasing the input).
func (p *Scanner) Str() ([]byte, bool) {
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

// RawString reads a string as Str does and returns it with its quotes.
func (p *Scanner) RawString() ([]byte, bool) {
	p.ws()
	start := p.i
	if _, ok := p.Str(); !ok {
		return nil, false
	}
	return p.b[start:p.i], true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Number reads a number in JSON's grammar and returns its text.
func (p *Scanner) Number() ([]byte, bool) {
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

// Floats reads an array of numbers into dst[:0] (a new slice if dst is
// nil). An empty array gives an empty, non-nil slice, as encoding/json.
func (p *Scanner) Floats(dst []float64) ([]float64, bool) {
	if !p.Consume('[') {
		return nil, false
	}
	if dst == nil {
		dst = make([]float64, 0, 8)
	}
	dst = dst[:0]
	if p.Consume(']') {
		return dst, true
	}
	for {
		v, ok := p.Float()
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
		if p.Consume(',') {
			continue
		}
		if p.Consume(']') {
			return dst, true
		}
		return nil, false
	}
}

// Matrix reads an array of arrays of numbers. Rows are carved out of
// shared slabs (each row capped at its length, so appending to one cannot
// overwrite the next), which double in size up to 256 rows of the first
// row's width: a 100-row matrix takes four allocations, not a hundred.
func (p *Scanner) Matrix() ([][]float64, bool) {
	if !p.Consume('[') {
		return nil, false
	}
	rows := make([][]float64, 0, 16)
	if p.Consume(']') {
		return rows, true
	}
	free := make([]float64, 256) // unused slab space; len == cap
	slabRows := 8
	for {
		if len(rows) > 0 && len(free) < len(rows[0]) {
			slabRows = min(2*slabRows, 256)
			free = make([]float64, len(rows[0])*slabRows)
		}
		row, ok := p.Floats(free[:0])
		if !ok {
			return nil, false
		}
		if len(row) > 0 && &row[0] == &free[0] {
			free = free[len(row):] // the row is in the slab
		}
		row = row[:len(row):len(row)]
		rows = append(rows, row)
		if p.Consume(',') {
			continue
		}
		if p.Consume(']') {
			return rows, true
		}
		return nil, false
	}
}

// Strings reads an array of strings.
func (p *Scanner) Strings() ([]string, bool) {
	if !p.Consume('[') {
		return nil, false
	}
	out := make([]string, 0, 8)
	if p.Consume(']') {
		return out, true
	}
	for {
		s, ok := p.Str()
		if !ok {
			return nil, false
		}
		out = append(out, string(s))
		if p.Consume(',') {
			continue
		}
		if p.Consume(']') {
			return out, true
		}
		return nil, false
	}
}

// Object reads an object, calling field for each key with the scanner at
// its value; repeated keys are not on the fast path.
func (p *Scanner) Object(field func(key []byte) bool) bool {
	if !p.Consume('{') {
		return false
	}
	if p.Consume('}') {
		return true
	}
	var seen []string
	for {
		key, ok := p.Str()
		if !ok || !p.Consume(':') {
			return false
		}
		for _, k := range seen {
			if k == string(key) {
				return false
			}
		}
		seen = append(seen, string(key))
		if !field(key) {
			return false
		}
		if p.Consume(',') {
			continue
		}
		return p.Consume('}')
	}
}

// Array reads an array, calling elem at each element.
func (p *Scanner) Array(elem func() bool) bool {
	if !p.Consume('[') {
		return false
	}
	if p.Consume(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.Consume(',') {
			continue
		}
		return p.Consume(']')
	}
}

// Flatten reads an array of numbers or of nested arrays, appending the
// numbers to dst in order. dst is non-nil on success. It does not check
// how the arrays nest (see FlattenNested and CheckNesting).
func (p *Scanner) Flatten(dst []float64) ([]float64, bool) {
	var nested bool
	return p.flatten(dst, 0, &nested)
}

// FlattenNested is Flatten that also reports whether the array held any
// array, that is whether CheckNesting has a nesting to check.
func (p *Scanner) FlattenNested(dst []float64) (out []float64, nested, ok bool) {
	out, ok = p.flatten(dst, 0, &nested)
	return out, nested, ok
}

// flatten is Flatten at nesting depth; it sets *nested on meeting an
// inner array.
func (p *Scanner) flatten(dst []float64, depth int, nested *bool) ([]float64, bool) {
	if depth > maxDepth || !p.Consume('[') {
		return nil, false
	}
	if dst == nil {
		dst = make([]float64, 0, 64)
	}
	if p.Consume(']') {
		return dst, true
	}
	for {
		var ok bool
		if p.Peek() == '[' {
			*nested = true
			dst, ok = p.flatten(dst, depth+1, nested)
		} else {
			var v float64
			if v, ok = p.Float(); ok {
				dst = append(dst, v)
			}
		}
		if !ok {
			return dst, false
		}
		if p.Consume(',') {
			continue
		}
		if p.Consume(']') {
			return dst, true
		}
		return dst, false
	}
}

// Skip reads any JSON value whose strings have no escapes and returns its
// text (for fields kept as json.RawMessage).
func (p *Scanner) Skip() ([]byte, bool) { return p.skip(0) }

// skip is Skip at nesting depth.
func (p *Scanner) skip(depth int) ([]byte, bool) {
	if depth > maxDepth {
		return nil, false
	}
	p.ws()
	start := p.i
	switch c := p.Peek(); {
	case c == '"':
		if _, ok := p.Str(); !ok {
			return nil, false
		}
	case c == '-' || isDigit(c):
		if _, ok := p.Number(); !ok {
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
		if !p.Consume(']') {
			for {
				if _, ok := p.skip(depth + 1); !ok {
					return nil, false
				}
				if p.Consume(',') {
					continue
				}
				if p.Consume(']') {
					break
				}
				return nil, false
			}
		}
	case c == '{':
		p.i++
		if !p.Consume('}') {
			for {
				if _, ok := p.Str(); !ok || !p.Consume(':') {
					return nil, false
				}
				if _, ok := p.skip(depth + 1); !ok {
					return nil, false
				}
				if p.Consume(',') {
					continue
				}
				if p.Consume('}') {
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
