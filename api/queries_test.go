package api

import "testing"

// TestDataRequestQueries: Queries bounds the effects PredictData computes
// (do() plus the data's distinct single-variable interventions, each
// capped), and is at least 1.
func TestDataRequestQueries(t *testing.T) {
	rows := [][]float64{{0, 1, 2}, {0, 1, 2}, {0, 5, 2}, {0, 1, 7}, {3, 1, 7}}
	x := func(names ...string) []Node {
		out := make([]Node, len(names))
		for i, n := range names {
			out[i] = Node{Index: -1, Name: n}
		}
		return out
	}
	many := make([]Do, MaxDo+10)
	manyRows, manyInt := make([][]float64, 2*MaxDataEffects), make([][]Node, 2*MaxDataEffects)
	for i := range manyRows {
		manyRows[i], manyInt[i] = []float64{float64(i), 0}, []Node{{Index: 0}}
	}
	cases := []struct {
		name string
		r    DataRequest
		want int
	}{
		{"nothing asked, no interventions", DataRequest{Data: DataSet{Rows: rows}}, 1},
		{"two do()", DataRequest{Data: DataSet{Rows: rows}, Do: make([]Do, 2)}, 2},
		{"distinct (variable, value)", DataRequest{Data: DataSet{Rows: rows,
			Intervened: [][]Node{nil, x("x1"), x("x1"), {{Index: 1}}, x("x2")}}}, 3},
		{"two-variable rows are not effects", DataRequest{Data: DataSet{Rows: rows,
			Intervened: [][]Node{x("x0", "x1"), nil, nil, nil, nil}}}, 1},
		{"the same variable twice is one", DataRequest{Data: DataSet{Rows: rows,
			Intervened: [][]Node{x("x0", "x0"), nil, nil, nil, nil}}}, 1},
		{"unknown names are not counted", DataRequest{Data: DataSet{Rows: rows,
			Intervened: [][]Node{x("nope"), nil, nil, nil, nil}}}, 1},
		{"named variables", DataRequest{Data: DataSet{Rows: rows, Variables: []string{"a", "b", "c"},
			Intervened: [][]Node{x("c"), nil, nil, nil, nil}}, Do: make([]Do, 1)}, 2},
		{"capped", DataRequest{Data: DataSet{Rows: manyRows, Intervened: manyInt}, Do: many}, MaxDo + MaxDataEffects},
	}
	for _, tc := range cases {
		if got := tc.r.Queries(); got != tc.want {
			t.Errorf("%s: Queries() = %d, want %d", tc.name, got, tc.want)
		}
	}
}
