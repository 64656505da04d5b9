package jsonscan

import (
	"fmt"
	"strconv"
	"strings"
)

// NestingError says where a tensor's nested JSON data departs from its
// declared shape (see CheckNesting).
type NestingError struct {
	// Path is the index path of the offending array or element: [] is the
	// outer array, [1 2] is data[1][2].
	Path []int
	// Problem says what is wrong there, e.g. "has 4 elements; shape [2,3]
	// wants 3 there".
	Problem string
}

// Index formats Path as "[1][2]" (empty for the outer array).
func (e *NestingError) Index() string {
	var b strings.Builder
	for _, i := range e.Path {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(']')
	}
	return b.String()
}

func (e *NestingError) Error() string { return "data" + e.Index() + " " + e.Problem }

// CheckNesting checks a JSON array of numbers against the row-major
// tensor shape it is declared with. data must be a value Flatten reads.
//
// A flat array (empty, or whose first element is a number) must hold
// numbers only; its length is the caller's to check. Any other array must
// nest exactly to shape: depth len(shape), every array at depth d has
// shape[d] elements, arrays at every depth above the last and numbers at
// the last, never both at one depth. CheckNesting reports the first
// departure in document order, or nil. A shape with a dimension below 1
// or a shape of rank 0 is not checked (the caller refuses the shape
// itself).
func CheckNesting(data []byte, shape []int) *NestingError {
	if len(shape) == 0 {
		return nil
	}
	for _, d := range shape {
		if d < 1 {
			return nil
		}
	}
	p := New(data)
	if !p.Consume('[') {
		return &NestingError{Problem: "is not an array"}
	}
	if p.Peek() != '[' { // flat: numbers only
		for i := 0; p.Peek() != ']'; i++ {
			if p.Peek() == '[' {
				return &NestingError{Path: []int{i}, Problem: fmt.Sprintf(
					"is an array, but data[0] is a number: give the data flat (numbers only, row-major) or nested exactly to the shape %s", formatShape(shape))}
			}
			if _, ok := p.Skip(); !ok {
				return &NestingError{Path: []int{i}, Problem: "is not a number"}
			}
			p.Consume(',')
		}
		return nil
	}
	p = New(data) // back to the outer '['
	var path []int
	return p.checkNesting(shape, 0, &path)
}

// checkNesting checks the array at depth d (path *path) against shape.
func (p *Scanner) checkNesting(shape []int, d int, path *[]int) *NestingError {
	at := func(problem string, args ...any) *NestingError {
		return &NestingError{Path: append([]int(nil), *path...), Problem: fmt.Sprintf(problem, args...)}
	}
	if !p.Consume('[') {
		return at("is not an array")
	}
	last := d == len(shape)-1
	n := 0
	for p.Peek() != ']' {
		*path = append(*path, n)
		switch isArray := p.Peek() == '['; {
		case last && isArray:
			return at("is an array, but the shape %s has rank %d: data%s holds numbers", formatShape(shape), len(shape), index((*path)[:d]))
		case !last && !isArray:
			return at("is a number, but the shape %s wants an array of %d elements there", formatShape(shape), shape[d+1])
		case isArray:
			if err := p.checkNesting(shape, d+1, path); err != nil {
				return err
			}
		default:
			if _, ok := p.Skip(); !ok {
				return at("is not a number")
			}
		}
		*path = (*path)[:d]
		n++
		if !p.Consume(',') && p.Peek() != ']' {
			return at("is malformed")
		}
	}
	p.Consume(']')
	if n != shape[d] {
		what := "element"
		if last {
			what = "number"
		}
		if n != 1 {
			what += "s"
		}
		return at("has %d %s, but the shape %s wants %d there", n, what, formatShape(shape), shape[d])
	}
	return nil
}

// index formats an index path as "[1][2]".
func index(path []int) string { return (&NestingError{Path: path}).Index() }

// formatShape formats a shape as "[2,3,4]".
func formatShape(shape []int) string {
	s := make([]string, len(shape))
	for i, d := range shape {
		s[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(s, ",") + "]"
}
