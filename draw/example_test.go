package draw_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"log"

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

// ExampleRender draws a two-edge graph as PNG: Graphviz's layout,
// rasterised at two pixels per point.
func ExampleRender() {
	g, _ := draw.NewGraph([]string{"x0", "x1", "x2"}, []string{"x0", "x1"}, []string{"x1", "x2"}, []float64{0.93, 0.71}, nil)
	out, err := draw.Render(context.Background(), draw.DOT(g), "png")
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(out))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("PNG, %d×%d pixels\n", cfg.Width, cfg.Height)
	// Output:
	// PNG, 166×461 pixels
}
