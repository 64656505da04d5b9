package draw

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// paint runs op lists on a white 100×100-point canvas at one pixel per
// point and returns its image.
func paint(t *testing.T, lists ...[]xdotOp) image.Image {
	t.Helper()
	c := vgimg.NewWith(vgimg.UseWH(100, 100), vgimg.UseDPI(72))
	p := xdotPainter{c: c}
	for _, ops := range lists {
		if err := p.run(ops); err != nil {
			t.Fatal(err)
		}
	}
	return c.Image()
}

// at is the pixel holding the layout point (x, y) of an image drawn with
// scale pixels per point from a frame's lower-left corner min.
func at(img image.Image, min vg.Point, scale, x, y float64) color.RGBA {
	px := int((x - float64(min.X)) * scale)
	py := img.Bounds().Dy() - 1 - int((y-float64(min.Y))*scale)
	return color.RGBAModel.Convert(img.At(px, py)).(color.RGBA)
}

// near reports whether c is within tol of want (each of R, G, B).
func near(c, want color.RGBA, tol int) bool {
	d := func(a, b uint8) bool { return int(a)-int(b) <= tol && int(b)-int(a) <= tol }
	return d(c.R, want.R) && d(c.G, want.G) && d(c.B, want.B)
}

var (
	white = color.RGBA{255, 255, 255, 255}
	black = color.RGBA{0, 0, 0, 255}
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
	pink  = color.RGBA{255, 127, 127, 255} // #ff000080 over white
)

func pen(c string) xdotOp   { return xdotOp{Op: "c", Grad: "none", Color: c} }
func fill(c string) xdotOp  { return xdotOp{Op: "C", Grad: "none", Color: c} }
func style(s string) xdotOp { return xdotOp{Op: "S", Style: s} }
func pts(p ...[2]float64) [][2]float64 {
	return p
}

// count is the number of pixels of the layout rectangle [x0, x1]×[y0, y1]
// (one pixel per point) near want.
func count(img image.Image, x0, y0, x1, y1 float64, want color.RGBA) int {
	n := 0
	for x := x0; x <= x1; x++ {
		for y := y0; y <= y1; y++ {
			if near(at(img, vg.Point{}, 1, x, y), want, 60) {
				n++
			}
		}
	}
	return n
}

func TestXdotOps(t *testing.T) {
	type probe struct {
		x, y float64
		want color.RGBA
	}
	triangle := pts([2]float64{30, 20}, [2]float64{70, 20}, [2]float64{50, 60})
	for _, c := range []struct {
		name   string
		lists  [][]xdotOp
		probes []probe
		check  func(t *testing.T, img image.Image)
	}{{
		name: "a filled polygon covers its inside, its rim in the pen colour",
		lists: [][]xdotOp{{pen("#0000ff"), fill("#ff0000"), style("setlinewidth(4)"),
			{Op: "P", Points: pts([2]float64{20, 20}, [2]float64{80, 20}, [2]float64{80, 80}, [2]float64{20, 80})}}},
		probes: []probe{{50, 50, red}, {20.5, 50, blue}, {10.5, 10.5, white}, {90.5, 50, white}},
	}, {
		name:   "an unfilled polygon strokes only its rim",
		lists:  [][]xdotOp{{pen("#0000ff"), style("setlinewidth(4)"), {Op: "p", Points: pts([2]float64{20, 20}, [2]float64{80, 20}, [2]float64{80, 80})}}},
		probes: []probe{{50.5, 20.5, blue}, {79.5, 50, blue}, {70, 35, white}},
	}, {
		name:   "an unfilled ellipse colours its rim, not its centre",
		lists:  [][]xdotOp{{pen("#0000ff"), style("setlinewidth(4)"), {Op: "e", Rect: []float64{50, 50, 30, 20}}}},
		probes: []probe{{80.5, 50, blue}, {19.5, 50, blue}, {50.5, 70.5, blue}, {50.5, 29.5, blue}, {50, 50, white}, {90, 50, white}, {75, 65, white}},
	}, {
		name:   "a filled ellipse covers its centre",
		lists:  [][]xdotOp{{fill("#00ff00"), {Op: "E", Rect: []float64{50, 50, 30, 20}}}},
		probes: []probe{{50, 50, green}, {70, 55, green}, {50, 80, white}},
	}, {
		name:   "a polyline of width 4",
		lists:  [][]xdotOp{{pen("#0000ff"), style("setlinewidth(4)"), {Op: "L", Points: pts([2]float64{10, 50}, [2]float64{50, 50}, [2]float64{50, 90})}}},
		probes: []probe{{30, 50.5, blue}, {50.5, 70, blue}, {30, 60, white}, {5, 50, white}},
	}, {
		name: "a Bézier spline passes through its segments' ends",
		lists: [][]xdotOp{{pen("#0000ff"), style("setlinewidth(4)"),
			{Op: "b", Points: pts([2]float64{10, 20}, [2]float64{10, 50}, [2]float64{30, 50}, [2]float64{50, 50}, [2]float64{70, 50}, [2]float64{90, 50}, [2]float64{90, 20})}}},
		probes: []probe{{50.5, 50.5, blue}, {10.5, 21, blue}, {50, 30, white}},
	}, {
		name:   "a pen colour with alpha blends over white",
		lists:  [][]xdotOp{{pen("#ff000080"), style("setlinewidth(6)"), {Op: "L", Points: pts([2]float64{10, 50}, [2]float64{90, 50})}}},
		probes: []probe{{50, 50.5, pink}},
	}, {
		name:   "a gradient fill is drawn in its first colour",
		lists:  [][]xdotOp{{{Op: "C", Grad: "linear", Stops: []xdotStop{{0, "#00ff00"}, {1, "#0000ff"}}}, {Op: "E", Rect: []float64{50, 50, 30, 20}}}},
		probes: []probe{{50, 50, green}},
	}, {
		name:   "each op list starts from the default state: a black pen of width 1",
		lists:  [][]xdotOp{{pen("#ff0000"), style("setlinewidth(6)"), style("dashed")}, {{Op: "L", Points: pts([2]float64{10, 50.5}, [2]float64{90, 50.5})}}},
		probes: []probe{{50, 50.5, black}, {20, 50.5, black}, {50, 52.5, white}},
	}, {
		name: "a polygon's corners are mitred, as in SVG",
		// The apex's miter reaches 2/sin(26.6°) ≈ 4.5 above it (to y =
		// 64.5); a round join would reach 2 (y = 62).
		lists:  [][]xdotOp{{pen("#0000ff"), fill("#0000ff"), style("setlinewidth(4)"), {Op: "P", Points: triangle}}},
		probes: []probe{{50, 62.5, blue}, {50, 65.5, white}},
	}, {
		name: "dashed",
		lists: [][]xdotOp{{pen("#0000ff"), style("setlinewidth(2)"), style("dashed"),
			{Op: "L", Points: pts([2]float64{0, 50}, [2]float64{100, 50})}}},
		check: func(t *testing.T, img image.Image) {
			on, off := count(img, 0, 50.5, 99, 50.5, blue), count(img, 0, 50.5, 99, 50.5, white)
			if on < 50 || off < 10 {
				t.Errorf("a dashed line of 100 points: %d blue and %d white pixels", on, off)
			}
		},
	}, {
		name: "text in the pen colour, aligned left and right, in several colours",
		lists: [][]xdotOp{{{Op: "F", Size: 20, Face: "Helvetica"}, pen("#ff0000"),
			{Op: "T", Pt: []float64{5, 40}, Align: "l", Text: "HHH"}, pen("#0000ff"),
			{Op: "T", Pt: []float64{95, 40}, Align: "r", Text: "HHH"}}},
		check: func(t *testing.T, img image.Image) {
			// "HHH" at 20 points is 43 points wide and 14 high.
			if n := count(img, 5, 40, 48, 54, red); n < 40 {
				t.Errorf("%d red pixels in the left text", n)
			}
			if n := count(img, 52, 40, 95, 54, blue); n < 40 {
				t.Errorf("%d blue pixels in the right text", n)
			}
			if n := count(img, 5, 40, 48, 54, blue) + count(img, 52, 40, 95, 54, red); n > 0 {
				t.Errorf("%d pixels of the other text's colour", n)
			}
			if n := count(img, 0, 56, 99, 99, white) + count(img, 0, 0, 99, 36, white); n != 100*44+100*37 {
				t.Errorf("text drawn outside its line: %d white pixels of %d", n, 100*44+100*37)
			}
		},
	}, {
		name:  "centred text straddles its point",
		lists: [][]xdotOp{{{Op: "F", Size: 20, Face: "Times-Bold"}, {Op: "T", Pt: []float64{50, 40}, Align: "c", Text: "HH"}}},
		check: func(t *testing.T, img image.Image) {
			left, right := count(img, 30, 40, 49, 54, black), count(img, 51, 40, 70, 54, black)
			if left < 20 || right < 20 || count(img, 0, 36, 25, 60, white) != 26*25 || count(img, 75, 36, 99, 60, white) != 25*25 {
				t.Errorf("centred text: %d dark pixels left of its point, %d right", left, right)
			}
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			img := paint(t, c.lists...)
			for _, p := range c.probes {
				if got := at(img, vg.Point{}, 1, p.x, p.y); !near(got, p.want, 40) {
					t.Errorf("pixel at (%g, %g) = %v, want %v", p.x, p.y, got, p.want)
				}
			}
			if c.check != nil {
				c.check(t, img)
			}
		})
	}
}

func TestXdotErrors(t *testing.T) {
	for _, c := range []struct {
		op   xdotOp
		want string
	}{
		{pen("red"), `colour "red"`},
		{pen("#12345"), `colour "#12345"`},
		{fill("#gg0000"), `colour "#gg0000"`},
		{xdotOp{Op: "C", Grad: "radial"}, "without stops"},
		{style("setlinewidth(wide)"), "style"},
		{xdotOp{Op: "b", Points: pts([2]float64{0, 0}, [2]float64{1, 1}, [2]float64{2, 2})}, "3 points"},
		{xdotOp{Op: "e", Rect: []float64{1, 2, 3}}, "3 numbers"},
		{xdotOp{Op: "T", Text: "x"}, "0 numbers"},
	} {
		p := xdotPainter{c: vgimg.NewWith(vgimg.UseWH(10, 10), vgimg.UseDPI(72))}
		if err := p.run([]xdotOp{c.op}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want one with %q", c.op, err, c.want)
		}
	}
}

func TestXdotColour(t *testing.T) {
	for s, want := range map[string]color.NRGBA{
		"#2ca02c":     {0x2c, 0xa0, 0x2c, 0xff},
		"#2ca02cee":   {0x2c, 0xa0, 0x2c, 0xee},
		"#FFFFFE00":   {0xff, 0xff, 0xfe, 0},
		"transparent": {},
	} {
		got, err := xdotColour(s)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if color.NRGBAModel.Convert(got) != want {
			t.Errorf("%s = %v, want %v", s, got, want)
		}
	}
}

func TestXdotFont(t *testing.T) {
	for _, c := range []struct {
		name     string
		fontchar int
		want     string
	}{
		{"Helvetica", 0, "LiberationSans-Regular"},
		{"Arial", 1, "LiberationSans-Bold"},
		{"Helvetica-BoldOblique", 0, "LiberationSans-BoldItalic"},
		{"Times-Roman", 0, "LiberationSerif-Regular"},
		{"Times-Roman", 2, "LiberationSerif-Italic"},
		{"Courier", 0, "LiberationMono-Regular"},
		{"sans-serif", 0, "LiberationSans-Regular"},
	} {
		f := xdotFont(c.name, c.fontchar, 10)
		if got := f.Name(); got != c.want || f.Face == nil {
			t.Errorf("xdotFont(%q, %d) = %s, want %s", c.name, c.fontchar, got, c.want)
		}
	}
}
