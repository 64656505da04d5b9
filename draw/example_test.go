package draw_test

import (
	"fmt"

	"causeway/draw"
)

func ExampleCSV() {
	g, _ := draw.NewGraph([]string{"x0", "x1", "x2"}, []string{"x0", "x1"}, []string{"x1", "x2"}, []float64{0.93, 0.71}, nil)
	fmt.Print(string(draw.CSV(g)))
	// Output:
	// from,to,probability
	// x0,x1,0.93
	// x1,x2,0.71
}
