package jsonscan

import (
	"reflect"
	"strings"
	"testing"
)

// TestCheckNesting holds CheckNesting to the declared shape: flat and
// exactly nested data pass, and every other nesting is refused at the
// first offending index, in document order.
func TestCheckNesting(t *testing.T) {
	for _, tc := range []struct {
		name  string
		data  string
		shape []int
		path  []int  // nil with want == "": accepted
		want  string // in the problem
	}{
		{"flat", `[1, 2, 3, 4, 5, 6]`, []int{2, 3}, nil, ""},
		{"flat of the wrong length (the caller's check)", `[1, 2]`, []int{2, 3}, nil, ""},
		{"empty", `[]`, []int{2, 3}, nil, ""},
		{"nested rank 2", `[[1, 2, 3], [4, 5, 6]]`, []int{2, 3}, nil, ""},
		{"nested rank 3", ` [ [[1,2],[3,4],[5,6]] , [[7,8],[9,10],[11,12]] ] `, []int{2, 3, 2}, nil, ""},
		{"ragged, long first", `[[1, 2, 3, 4], [5, 6]]`, []int{2, 3}, []int{0}, "has 4 numbers, but the shape [2,3] wants 3 there"},
		{"ragged, short second", `[[1, 2, 3], [4, 5]]`, []int{2, 3}, []int{1}, "has 2 numbers, but the shape [2,3] wants 3 there"},
		{"ragged deep", `[[[1,2],[3,4],[5,6]], [[7,8],[9],[11,12]]]`, []int{2, 3, 2}, []int{1, 1}, "has 1 number,"},
		{"too many rows", `[[1, 2, 3], [4, 5, 6], [7, 8, 9]]`, []int{2, 3}, []int{}, "has 3 elements, but the shape [2,3] wants 2 there"},
		{"too deep", `[[[1], [2], [3]], [[4], [5], [6]]]`, []int{2, 3}, []int{0, 0}, "is an array, but the shape [2,3] has rank 2: data[0] holds numbers"},
		{"too shallow", `[[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]`, []int{2, 3, 2}, []int{0, 0}, "is a number, but the shape [2,3,2] wants an array of 2 elements there"},
		{"mixed: a number among rows", `[[1, 2, 3], 4]`, []int{2, 3}, []int{1}, "is a number, but the shape [2,3] wants an array of 3 elements there"},
		{"mixed: an array among numbers", `[[1, [2], 3], [4, 5, 6]]`, []int{2, 3}, []int{0, 1}, "is an array, but the shape [2,3] has rank 2"},
		{"mixed: flat with an array", `[1, 2, [3, 4]]`, []int{2, 2}, []int{2}, "is an array, but data[0] is a number"},
		{"empty rows", `[[], []]`, []int{2, 3}, []int{0}, "has 0 numbers"},
		{"dynamic shape unchecked", `[[1], [2, 3]]`, []int{-1, 2}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := CheckNesting([]byte(tc.data), tc.shape)
			if tc.want == "" {
				if e != nil {
					t.Fatalf("refused: %v", e)
				}
				return
			}
			if e == nil {
				t.Fatalf("accepted; want %q at %v", tc.want, tc.path)
			}
			if !reflect.DeepEqual(e.Path, tc.path) && !(len(e.Path) == 0 && len(tc.path) == 0) || !strings.Contains(e.Problem, tc.want) {
				t.Fatalf("got %v (path %v); want %q at %v", e, e.Path, tc.want, tc.path)
			}
			if !strings.HasPrefix(e.Error(), "data"+e.Index()+" ") {
				t.Errorf("Error() %q does not start with the index %q", e.Error(), e.Index())
			}
		})
	}
}

// TestFlattenNestedReportsNesting: FlattenNested says whether an inner
// array was met, and flattens in row-major order either way.
func TestFlattenNestedReportsNesting(t *testing.T) {
	for _, tc := range []struct {
		data   string
		want   []float64
		nested bool
	}{
		{`[1, 2, 3]`, []float64{1, 2, 3}, false},
		{`[]`, []float64{}, false},
		{`[[1, 2], [3]]`, []float64{1, 2, 3}, true},
		{`[1, [2]]`, []float64{1, 2}, true},
	} {
		got, nested, ok := New([]byte(tc.data)).FlattenNested(nil)
		if !ok || nested != tc.nested || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FlattenNested(%s) = %v, nested %v, ok %v; want %v, nested %v", tc.data, got, nested, ok, tc.want, tc.nested)
		}
	}
}

// FuzzCheckNesting: on any array Flatten reads and any small shape,
// CheckNesting does not panic, and nested data it accepts holds exactly
// the shape's number of values.
func FuzzCheckNesting(f *testing.F) {
	f.Add([]byte(`[[1, 2, 3], [4, 5, 6]]`), uint8(2), uint8(3), uint8(0))
	f.Add([]byte(`[[[1,2],[3,4],[5,6]], [[7,8],[9],[11,12]]]`), uint8(2), uint8(3), uint8(2))
	f.Add([]byte(`[1, [2, [3]], []]`), uint8(3), uint8(1), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, d0, d1, d2 uint8) {
		values, nested, ok := New(data).FlattenNested(nil)
		if !ok {
			return
		}
		shape := []int{int(d0%5) + 1, int(d1%5) + 1}
		if d2%5 != 0 {
			shape = append(shape, int(d2%5))
		}
		e := CheckNesting(data, shape)
		if e != nil || !nested {
			return
		}
		size := 1
		for _, d := range shape {
			size *= d
		}
		if len(values) != size {
			t.Fatalf("CheckNesting accepted %s with %d values for the shape %v", data, len(values), shape)
		}
	})
}
