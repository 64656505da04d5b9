package draw

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goccy/go-graphviz"
	"gonum.org/v1/plot/vg"
)

func TestFrame(t *testing.T) {
	for _, c := range []struct {
		bb, pad   string
		min, size vg.Point
		err       string
	}{
		{bb: "0,0,100,50", min: vg.Point{X: -4, Y: -4}, size: vg.Point{X: 108, Y: 58}}, // Graphviz's default pad: 4 points
		{bb: "0,0,100,50", pad: "0.2", min: vg.Point{X: -14.4, Y: -14.4}, size: vg.Point{X: 128.8, Y: 78.8}},
		{bb: "10,20,110,70", pad: "0.5,0", min: vg.Point{X: -26, Y: 20}, size: vg.Point{X: 172, Y: 50}},
		{bb: "0,0,100", err: "bounding box"},
		{bb: "0,0,-1,5", err: "bounding box"},
		{bb: "", err: "bounding box"},
		{bb: "0,0,1,1", pad: "wide", err: "pad"},
		{bb: "0,0,1,1", pad: "-1", err: "pad"},
	} {
		l := xdotLayout{BB: c.bb, Pad: c.pad}
		min, size, err := l.frame()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("bb %q pad %q: error %v, want one about %s", c.bb, c.pad, err, c.err)
			}
			continue
		}
		same := func(a, b vg.Point) bool {
			return math.Abs(float64(a.X-b.X)) < 1e-9 && math.Abs(float64(a.Y-b.Y)) < 1e-9
		}
		if err != nil || !same(min, c.min) || !same(size, c.size) {
			t.Errorf("bb %q pad %q: frame %v %v, %v; want %v %v", c.bb, c.pad, min, size, err, c.min, c.size)
		}
	}
}

// TestRenderPNG draws the sample graph against a truth and looks at the
// PNG where Graphviz's layout puts the edges, node outlines and labels.
func TestRenderPNG(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Graphviz (WebAssembly)")
	}
	ctx := context.Background()
	// Found rain → wet (green), extra sprinkler → wet (red), missed rain →
	// sprinkler (grey, dashed).
	dot := DOT(sample(t, []float32{0, 1, 1, 0, 0, 0, 0, 0, 0}))
	out, err := Render(ctx, dot, "png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}

	// The size: the SVG's viewBox (the bounding box and the pad of 0.2
	// inches on every side) at two pixels per point.
	svg, err := Render(ctx, dot, "svg")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`viewBox="0\.00 0\.00 ([0-9.]+) ([0-9.]+)"`).FindSubmatch(svg)
	if m == nil {
		t.Fatalf("SVG without a viewBox: %.400s", svg)
	}
	vw, _ := strconv.ParseFloat(string(m[1]), 64)
	vh, _ := strconv.ParseFloat(string(m[2]), 64)
	if b := img.Bounds(); b.Dx() != int(math.Round(2*vw)) || b.Dy() != int(math.Round(2*vh)) {
		t.Errorf("PNG %d×%d, want the viewBox %g×%g at 2 pixels per point", b.Dx(), b.Dy(), vw, vh)
	}

	layoutJSON, err := graphvizRender(ctx, dot, graphviz.Format("json"))
	if err != nil {
		t.Fatal(err)
	}
	var l xdotLayout
	if err := json.Unmarshal(layoutJSON, &l); err != nil {
		t.Fatal(err)
	}
	min, _, err := l.frame()
	if err != nil {
		t.Fatal(err)
	}
	if want := (vg.Point{X: -14.4, Y: -14.4}); min != want {
		t.Errorf("frame from %v, want %v (bb from 0,0, pad 0.2 inches)", min, want)
	}
	pixel := func(x, y float64) color.RGBA { return at(img, min, 2, x, y) }
	rgb := func(s string) color.RGBA {
		c, err := xdotColour(s)
		if err != nil {
			t.Fatal(err)
		}
		return color.RGBAModel.Convert(c).(color.RGBA)
	}

	// Each edge's spline passes through its segments' ends; the pixels
	// there are the edge's colour, nearly opaque for found (p = 0.9) and
	// extra (p = 0.6) edges.
	edges := map[string]int{}
	for _, e := range l.Edges {
		var colour string
		for _, o := range e.Draw {
			switch o.Op {
			case "c":
				colour = o.Color[:7]
			case "b":
				edges[colour]++
				for k := 3; k < len(o.Points); k += 3 {
					q := o.Points[k]
					if got := pixel(q[0], q[1]); !near(got, rgb(colour), 60) {
						t.Errorf("edge of colour %s: pixel at (%g, %g) = %v", colour, q[0], q[1], got)
					}
				}
			}
		}
	}
	if edges[colourFound] != 1 || edges[colourExtra] != 1 || edges[colourMissed] != 1 {
		t.Errorf("splines by colour %v: want one found, one extra and one missed", edges)
	}

	// Each node's outline is dark on its rim (at the end of its horizontal
	// radius) and white between rim and label; its label is dark pixels
	// on the label's baseline.
	dark := func(c color.RGBA) bool { return int(c.R)+int(c.G)+int(c.B) < 3*140 }
	nodes := 0
	for _, o := range l.Objects {
		for _, op := range o.Draw {
			if op.Op != "e" {
				continue
			}
			nodes++
			x, y, rx, ry := op.Rect[0], op.Rect[1], op.Rect[2], op.Rect[3]
			if c := pixel(x+rx, y); !dark(c) {
				t.Errorf("node at (%g, %g): its rim is %v", x, y, c)
			}
			if c := pixel(x, y+0.75*ry); c != white {
				t.Errorf("node at (%g, %g): inside its rim is %v", x, y, c)
			}
		}
		pen := "#000000"
		for _, op := range o.LDraw {
			if op.Op == "c" {
				pen = op.Color
			}
			if op.Op != "T" || strings.TrimSpace(op.Text) == "" {
				continue
			}
			x0 := op.Pt[0] - op.Width/2
			if op.Align == "l" {
				x0 = op.Pt[0]
			}
			inked, darkInk := 0, 0
			for x := x0; x < x0+op.Width; x += 0.5 {
				for y := op.Pt[1]; y < op.Pt[1]+7; y += 0.5 {
					if c := pixel(x, y); c != white {
						inked++
						if dark(c) {
							darkInk++
						}
					}
				}
			}
			if inked < int(op.Width) || pen == "#000000" && darkInk < int(op.Width) {
				t.Errorf("label %q in %s: %d pixels inked, %d dark", op.Text, pen, inked, darkInk)
			}
		}
	}
	if nodes != 3 {
		t.Errorf("%d node ellipses, want 3", nodes)
	}

	// The legend's words are drawn in their colours.
	counts := map[string]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			for _, s := range []string{colourFound, colourExtra, colourMissed} {
				if near(c, rgb(s), 12) {
					counts[s]++
				}
			}
		}
	}
	for _, s := range []string{colourFound, colourExtra, colourMissed} {
		if counts[s] < 50 {
			t.Errorf("%d pixels of %s", counts[s], s)
		}
	}
}

func TestRasteriseErrors(t *testing.T) {
	for _, c := range []struct{ json, want string }{
		{`{`, "graphviz json"},
		{`{"bb": "0,0,10"}`, "bounding box"},
		{`{"bb": "0,0,1e6,1e6"}`, "too large"},
		{`{"bb": "0,0,10,10", "objects": [{"_draw_": [{"op": "c", "color": "teal"}]}]}`, `colour "teal"`},
	} {
		if _, err := encodePNG([]byte(c.json)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.json, err, c.want)
		}
	}
	// An empty drawing is a white picture of the pad.
	out, err := encodePNG([]byte(`{"bb": "0,0,0,0"}`))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 16, 16) || !near(color.RGBAModel.Convert(img.At(8, 8)).(color.RGBA), white, 0) {
		t.Errorf("an empty drawing: %v, centre %v", img.Bounds(), img.At(8, 8))
	}
}

// TestTextWidths holds the fonts to Graphviz's text widths: Liberation
// shares Helvetica's metrics, so each label drawn spans the width Graphviz
// laid out for it (the legend's coloured words abut, node labels stay
// centred in their ellipses).
func TestTextWidths(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Graphviz (WebAssembly)")
	}
	g := sample(t, []float32{0, 1, 1, 0, 0, 0, 0, 0, 0})
	g.Title = "model-f: edges above 0.5"
	layoutJSON, err := graphvizRender(context.Background(), DOT(g), graphviz.Format("json"))
	if err != nil {
		t.Fatal(err)
	}
	var l xdotLayout
	if err := json.Unmarshal(layoutJSON, &l); err != nil {
		t.Fatal(err)
	}
	texts := 0
	for _, o := range append(append([]xdotDrawing{l.xdotDrawing}, l.Objects...), l.Edges...) {
		for _, ops := range o.lists() {
			size, face := 14.0, "Times-Roman"
			for _, op := range ops {
				switch op.Op {
				case "F":
					size, face = op.Size, op.Face
				case "T":
					texts++
					f := xdotFont(face, 0, vg.Length(size))
					w := float64(f.Width(op.Text))
					if math.Abs(w-op.Width) > 0.02*op.Width+0.1 {
						t.Errorf("%q in %g-point %s: %.2f points wide, Graphviz %.2f", op.Text, size, face, w, op.Width)
					}
				}
			}
		}
	}
	if texts < 10 {
		t.Errorf("%d texts", texts)
	}
}
