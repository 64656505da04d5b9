package draw

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"
)

// pngDPI is the PNG's resolution: two pixels per point of the layout (the
// SVG's user unit), sharp on high-density screens.
const pngDPI = 144

// xdotDrawing holds the xdot op lists of one object of Graphviz's json
// output (the graph, a cluster, a node or an edge), in drawing order.
type xdotDrawing struct {
	Draw   []xdotOp `json:"_draw_"`
	LDraw  []xdotOp `json:"_ldraw_"`
	HDraw  []xdotOp `json:"_hdraw_"`
	TDraw  []xdotOp `json:"_tdraw_"`
	HLDraw []xdotOp `json:"_hldraw_"`
	TLDraw []xdotOp `json:"_tldraw_"`
}

func (d *xdotDrawing) lists() [][]xdotOp {
	return [][]xdotOp{d.Draw, d.LDraw, d.HDraw, d.TDraw, d.HLDraw, d.TLDraw}
}

// xdotLayout is the part of Graphviz's json output that PNG needs.
type xdotLayout struct {
	xdotDrawing
	// BB is the drawing's bounding box "llx,lly,urx,ury" in points.
	BB string `json:"bb"`
	// Pad is the graph's pad attribute in inches ("x" or "x,y"), if set.
	Pad string `json:"pad"`
	// Objects are the subgraphs (clusters) and then the nodes.
	Objects []xdotDrawing `json:"objects"`
	Edges   []xdotDrawing `json:"edges"`
}

// defaultPad is Graphviz's pad when the graph sets none: 4 points.
const defaultPad = 4

// frame returns the picture's lower-left corner in layout coordinates and
// its size, in points: the bounding box grown by the pad on every side, as
// the SVG's viewBox is.
func (l *xdotLayout) frame() (min, size vg.Point, err error) {
	bb, err := parseFloats(l.BB)
	if err != nil || len(bb) != 4 || bb[2] < bb[0] || bb[3] < bb[1] {
		return min, size, fmt.Errorf("draw: layout bounding box %q", l.BB)
	}
	padX, padY := float64(defaultPad), float64(defaultPad)
	if l.Pad != "" {
		pad, err := parseFloats(l.Pad)
		if err != nil || len(pad) < 1 || len(pad) > 2 || pad[0] < 0 || pad[len(pad)-1] < 0 {
			return min, size, fmt.Errorf("draw: pad %q", l.Pad)
		}
		padX, padY = 72*pad[0], 72*pad[len(pad)-1]
	}
	min = vg.Point{X: vg.Length(bb[0] - padX), Y: vg.Length(bb[1] - padY)}
	size = vg.Point{X: vg.Length(bb[2] - bb[0] + 2*padX), Y: vg.Length(bb[3] - bb[1] + 2*padY)}
	return min, size, nil
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("number %q", f)
		}
		out = append(out, v)
	}
	return out, nil
}

// pixels is the PNG's size for a frame size in points.
func pixels(size vg.Point) (w, h int) {
	return int(math.Round(float64(size.X) * pngDPI / 72)), int(math.Round(float64(size.Y) * pngDPI / 72))
}

// maxPixels bounds a PNG's area: making the canvas allocates two RGBA
// images of it (about 270 MB at the bound, a 4096×8192-pixel picture).
const maxPixels = 1 << 25

// rasterise draws a layout (Graphviz's json output) onto a white canvas of
// the frame's size at pngDPI and returns the canvas.
func rasterise(layoutJSON []byte) (*vgimg.Canvas, error) {
	var l xdotLayout
	if err := json.Unmarshal(layoutJSON, &l); err != nil {
		return nil, fmt.Errorf("draw: graphviz json: %w", err)
	}
	min, size, err := l.frame()
	if err != nil {
		return nil, err
	}
	w, h := pixels(size)
	w, h = max(w, 1), max(h, 1)
	if w*h > maxPixels {
		return nil, fmt.Errorf("draw: a %d×%d-pixel picture is too large for PNG (at most %d pixels); draw it as svg", w, h, maxPixels)
	}
	// The canvas is exactly w×h pixels: its size in points is the pixels'.
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(w)*72/pngDPI, vg.Length(h)*72/pngDPI), vgimg.UseDPI(pngDPI))
	p := xdotPainter{c: c, off: vg.Point{X: -min.X, Y: -min.Y}}
	// The graph, its clusters (listed before the nodes), the nodes, then
	// the edges. Graphviz's SVG interleaves nodes and edges in an order the
	// json does not give, so where edges cross, the one on top may differ.
	objects := append([]xdotDrawing{l.xdotDrawing}, l.Objects...)
	for _, o := range append(objects, l.Edges...) {
		for _, ops := range o.lists() {
			if err := p.run(ops); err != nil {
				return nil, err
			}
		}
	}
	return c, nil
}

// encodePNG rasterises a layout and encodes it as PNG.
func encodePNG(layoutJSON []byte) ([]byte, error) {
	c, err := rasterise(layoutJSON)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("draw: encode png: %w", err)
	}
	return buf.Bytes(), nil
}
