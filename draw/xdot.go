package draw

import (
	"fmt"
	"image/color"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/vg"
)

// xdotOp is one xdot drawing operation as Graphviz's json renderer writes
// it (https://graphviz.org/docs/outputs/canon/#xdot): op names it, the other
// fields are those of that op.
type xdotOp struct {
	Op string `json:"op"`

	// c, C: a colour, or a gradient's stops.
	Grad  string     `json:"grad"`
	Color string     `json:"color"`
	Stops []xdotStop `json:"stops"`

	// e, E: centre x, y and radii rx, ry.
	Rect []float64 `json:"rect"`
	// p, P, L, b, B.
	Points [][2]float64 `json:"points"`

	// T: text at Pt (on the baseline), aligned "l", "c" or "r" there.
	Pt    []float64 `json:"pt"`
	Align string    `json:"align"`
	Width float64   `json:"width"`
	Text  string    `json:"text"`

	// F: font size (points) and face (a PostScript-like name).
	Size float64 `json:"size"`
	Face string  `json:"face"`
	// t: font characteristics (1 bold, 2 italic, ...).
	Fontchar int `json:"fontchar"`

	// S: a style ("dashed", "setlinewidth(2.3)", ...).
	Style string `json:"style"`
}

// xdotStop is a gradient's colour at a fraction of its way.
type xdotStop struct {
	Frac  float64 `json:"frac"`
	Color string  `json:"color"`
}

// Dash patterns of Graphviz's SVG renderer, in points.
var (
	dashDashed = []vg.Length{5, 2}
	dashDotted = []vg.Length{1, 5}
)

// xdotPainter draws xdot operations onto a vg.Canvas. Points are in
// Graphviz's coordinates (points, y up) shifted by off.
type xdotPainter struct {
	c   vg.Canvas
	off vg.Point

	// The drawing state, reset at the start of every op list (Graphviz
	// writes each _draw_, _ldraw_, ... attribute as a self-contained list).
	pen, fill color.Color
	width     vg.Length
	dash      []vg.Length
	size      float64
	face      string
	fontchar  int
}

// run draws one op list (an object's _draw_, _ldraw_, _hdraw_, ...).
// Unknown ops and images (I) are skipped.
func (p *xdotPainter) run(ops []xdotOp) error {
	p.pen, p.fill = color.Black, color.Black
	p.width, p.dash = 1, nil
	p.size, p.face, p.fontchar = 14, "Times-Roman", 0
	for i := range ops {
		if err := p.op(&ops[i]); err != nil {
			return err
		}
	}
	return nil
}

func (p *xdotPainter) op(o *xdotOp) error {
	var err error
	switch o.Op {
	case "c":
		p.pen, err = xdotPaint(o)
	case "C":
		p.fill, err = xdotPaint(o)
	case "S":
		err = p.style(o.Style)
	case "F":
		p.size, p.face = o.Size, o.Face
	case "t":
		p.fontchar = o.Fontchar
	case "e", "E":
		if len(o.Rect) != 4 {
			return fmt.Errorf("draw: xdot %s with %d numbers", o.Op, len(o.Rect))
		}
		p.shape(p.ellipse(o.Rect[0], o.Rect[1], o.Rect[2], o.Rect[3]), o.Op == "E")
	case "p", "P":
		if len(o.Points) == 0 {
			return nil
		}
		p.polygon(o.Points, o.Op == "P")
	case "L":
		if len(o.Points) > 0 {
			p.shape(p.polyline(o.Points), false)
		}
	case "b", "B":
		if len(o.Points) == 0 || (len(o.Points)-1)%3 != 0 {
			return fmt.Errorf("draw: xdot %s with %d points (want 1+3k)", o.Op, len(o.Points))
		}
		path := p.bezier(o.Points)
		if o.Op == "B" {
			path.Close()
		}
		p.shape(path, o.Op == "B")
	case "T":
		if len(o.Pt) != 2 {
			return fmt.Errorf("draw: xdot T with %d numbers", len(o.Pt))
		}
		p.text(o.Pt[0], o.Pt[1], o.Align, o.Text)
	}
	return err
}

var lineWidthStyle = regexp.MustCompile(`^setlinewidth\(\s*([^)]*)\)$`)

// style applies an S op. Styles that only shape what Graphviz already
// turned into ops (filled, rounded, ...) change nothing.
func (p *xdotPainter) style(s string) error {
	switch s = strings.TrimSpace(s); s {
	case "solid":
		p.dash = nil
	case "dashed":
		p.dash = dashDashed
	case "dotted":
		p.dash = dashDotted
	case "bold":
		p.width = 2
	default:
		if m := lineWidthStyle.FindStringSubmatch(s); m != nil {
			w, err := strconv.ParseFloat(strings.TrimSpace(m[1]), 64)
			if err != nil || w < 0 || math.IsInf(w, 0) {
				return fmt.Errorf("draw: xdot style %q", s)
			}
			p.width = vg.Length(w)
		}
	}
	return nil
}

func (p *xdotPainter) pt(x, y float64) vg.Point {
	return vg.Point{X: vg.Length(x) + p.off.X, Y: vg.Length(y) + p.off.Y}
}

// shape fills path with the fill colour (if filled) and strokes it with
// the pen, as Graphviz draws its filled shapes: outlined in the pen colour.
func (p *xdotPainter) shape(path vg.Path, filled bool) {
	if filled {
		p.c.SetColor(p.fill)
		p.c.Fill(path)
	}
	p.c.SetColor(p.pen)
	p.c.SetLineWidth(p.width)
	p.c.SetLineDash(p.dash, 0)
	p.c.Stroke(path)
}

// polygon draws a closed polygon, filled or not. Its outline is stroked
// with mitred corners, as SVG and Cairo join lines by default (vgimg joins
// them round, which blunts arrowheads); dashed outlines are stroked by the
// canvas.
func (p *xdotPainter) polygon(pts [][2]float64, filled bool) {
	path := p.polyline(pts)
	path.Close()
	if p.dash != nil {
		p.shape(path, filled)
		return
	}
	if filled {
		p.c.SetColor(p.fill)
		p.c.Fill(path)
	}
	corners := make([]vg.Point, len(pts))
	for i, q := range pts {
		corners[i] = p.pt(q[0], q[1])
	}
	if outline := mitredOutline(corners, p.width); len(outline) > 0 {
		p.c.SetColor(p.pen)
		p.c.Fill(outline)
	}
}

// miterLimit is SVG's default stroke-miterlimit: a corner whose miter
// would reach further than that many line widths is bevelled.
const miterLimit = 4

// mitredOutline is the area a line of width w covers when it strokes the
// closed polygon of corners with mitred joins, as a path to fill: one
// rectangle per side and one wedge per corner, each counter-clockwise, so
// filling with the non-zero rule paints their union once.
func mitredOutline(corners []vg.Point, w vg.Length) vg.Path {
	var pts []vg.Point
	for _, q := range corners {
		if len(pts) == 0 || q != pts[len(pts)-1] {
			pts = append(pts, q)
		}
	}
	if len(pts) > 1 && pts[0] == pts[len(pts)-1] {
		pts = pts[:len(pts)-1]
	}
	n := len(pts)
	if n < 2 || w <= 0 {
		return nil
	}
	h := float64(w) / 2
	at := func(q vg.Point, d [2]float64, s float64) vg.Point {
		return vg.Point{X: q.X + vg.Length(s*d[0]), Y: q.Y + vg.Length(s*d[1])}
	}
	var path vg.Path
	for i, a := range pts {
		b := pts[(i+1)%n]
		_, l := unitNormal(a, b)
		ccwPolygon(&path, at(a, l, h), at(b, l, h), at(b, l, -h), at(a, l, -h))
	}
	if n < 3 {
		return path
	}
	for i, v := range pts {
		d1, l1 := unitNormal(pts[(i+n-1)%n], v)
		d2, l2 := unitNormal(v, pts[(i+1)%n])
		cross := d1[0]*d2[1] - d1[1]*d2[0]
		if math.Abs(cross) < 1e-9 && d1[0]*d2[0]+d1[1]*d2[1] > 0 {
			continue // straight on
		}
		// The gap between the two sides' rectangles is on the outside of
		// the turn: the right for a left turn.
		s := h
		if cross > 0 {
			s = -h
		}
		p1, p2 := at(v, l1, s), at(v, l2, s)
		m := [2]float64{l1[0] + l2[0], l1[1] + l2[1]}
		if mm := math.Hypot(m[0], m[1]); mm > 1e-9 {
			m = [2]float64{m[0] / mm, m[1] / mm}
			if ratio := 1 / (m[0]*l1[0] + m[1]*l1[1]); ratio <= miterLimit {
				ccwPolygon(&path, v, p1, at(v, m, s*ratio), p2)
				continue
			}
		}
		ccwPolygon(&path, v, p1, p2)
	}
	return path
}

// unitNormal returns the unit direction from a to b and its left normal.
func unitNormal(a, b vg.Point) (d, l [2]float64) {
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	r := math.Hypot(dx, dy)
	d = [2]float64{dx / r, dy / r}
	return d, [2]float64{-d[1], d[0]}
}

// ccwPolygon adds the closed polygon q to path, counter-clockwise.
func ccwPolygon(path *vg.Path, q ...vg.Point) {
	area := 0.0
	for i, a := range q {
		b := q[(i+1)%len(q)]
		area += float64(a.X*b.Y - b.X*a.Y)
	}
	if area < 0 {
		slices.Reverse(q)
	}
	path.Move(q[0])
	for _, r := range q[1:] {
		path.Line(r)
	}
	path.Close()
}

func (p *xdotPainter) polyline(pts [][2]float64) vg.Path {
	var path vg.Path
	path.Move(p.pt(pts[0][0], pts[0][1]))
	for _, q := range pts[1:] {
		path.Line(p.pt(q[0], q[1]))
	}
	return path
}

// bezier joins cubic Bézier segments: pts[0], then three points (two
// controls and an end) per segment.
func (p *xdotPainter) bezier(pts [][2]float64) vg.Path {
	var path vg.Path
	path.Move(p.pt(pts[0][0], pts[0][1]))
	for k := 1; k+2 < len(pts); k += 3 {
		path.CubeTo(p.pt(pts[k][0], pts[k][1]), p.pt(pts[k+1][0], pts[k+1][1]), p.pt(pts[k+2][0], pts[k+2][1]))
	}
	return path
}

// ellipse approximates the ellipse of centre (x, y) and radii rx, ry by four
// cubic Bézier quarters.
func (p *xdotPainter) ellipse(x, y, rx, ry float64) vg.Path {
	const k = 0.5522847498 // 4/3·(√2−1): a quarter circle's control distance
	var path vg.Path
	path.Move(p.pt(x+rx, y))
	path.CubeTo(p.pt(x+rx, y+k*ry), p.pt(x+k*rx, y+ry), p.pt(x, y+ry))
	path.CubeTo(p.pt(x-k*rx, y+ry), p.pt(x-rx, y+k*ry), p.pt(x-rx, y))
	path.CubeTo(p.pt(x-rx, y-k*ry), p.pt(x-k*rx, y-ry), p.pt(x, y-ry))
	path.CubeTo(p.pt(x+k*rx, y-ry), p.pt(x+rx, y-k*ry), p.pt(x+rx, y))
	path.Close()
	return path
}

// text draws s in the pen colour with its baseline at y, starting at x
// (align "l"), centred on x ("c") or ending at x ("r"). It is placed by the
// width of the Liberation face drawn, which shares Helvetica's, Times' and
// Courier's metrics, so it fills the width Graphviz laid out.
func (p *xdotPainter) text(x, y float64, align, s string) {
	if strings.TrimSpace(s) == "" || p.size <= 0 {
		return
	}
	face := xdotFont(p.face, p.fontchar, vg.Length(p.size))
	w := float64(face.Width(s))
	switch align {
	case "c":
		x -= w / 2
	case "r":
		x -= w
	}
	p.c.SetColor(p.pen)
	p.c.FillString(face, p.pt(x, y), s)
}

var liberationFonts = sync.OnceValue(func() *font.Cache { return font.NewCache(liberation.Collection()) })

// xdotFont picks the Liberation face for a Graphviz font name and xdot
// font characteristics (bit 1 bold, bit 2 italic): Mono for Courier and
// monospaced names, Serif for Times and other serif names, else Sans (for
// Helvetica, Arial, ...).
func xdotFont(name string, fontchar int, size vg.Length) font.Face {
	n := strings.ToLower(name)
	f := font.Font{Typeface: "Liberation", Variant: "Sans"}
	switch {
	case strings.Contains(n, "courier") || strings.Contains(n, "mono"):
		f.Variant = "Mono"
	case strings.Contains(n, "sans"):
	case strings.Contains(n, "times") || strings.Contains(n, "serif") || strings.Contains(n, "roman") ||
		strings.Contains(n, "georgia") || strings.Contains(n, "palatino") || strings.Contains(n, "bookman") ||
		strings.Contains(n, "schoolbook"):
		f.Variant = "Serif"
	}
	if strings.Contains(n, "bold") || fontchar&1 != 0 {
		f.Weight = stdfont.WeightBold
	}
	if strings.Contains(n, "italic") || strings.Contains(n, "oblique") || fontchar&2 != 0 {
		f.Style = stdfont.StyleItalic
	}
	return liberationFonts().Lookup(f, size)
}

// xdotPaint is the colour of a c or C op; a gradient is drawn in its first
// stop's colour.
func xdotPaint(o *xdotOp) (color.Color, error) {
	s := o.Color
	if o.Grad != "" && o.Grad != "none" {
		if len(o.Stops) == 0 {
			return nil, fmt.Errorf("draw: xdot %s gradient without stops", o.Grad)
		}
		s = o.Stops[0].Color
	}
	return xdotColour(s)
}

// xdotColour parses the colours Graphviz writes: "#rrggbb" or "#rrggbbaa"
// (alpha not premultiplied), and "transparent" / "none".
func xdotColour(s string) (color.Color, error) {
	switch strings.ToLower(s) {
	case "transparent", "none", "invis":
		return color.Transparent, nil
	case "black":
		return color.Black, nil
	case "white":
		return color.White, nil
	}
	if len(s) != 7 && len(s) != 9 || s[0] != '#' {
		return nil, fmt.Errorf("draw: xdot colour %q", s)
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return nil, fmt.Errorf("draw: xdot colour %q", s)
	}
	if len(s) == 7 {
		v = v<<8 | 0xff
	}
	return color.NRGBA{R: uint8(v >> 24), G: uint8(v >> 16), B: uint8(v >> 8), A: uint8(v)}, nil
}
