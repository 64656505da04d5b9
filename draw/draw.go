// Package draw shows a predicted causal graph to a person: as Graphviz DOT
// text, as an edge list in CSV, and as a picture laid out by Graphviz
// itself, compiled to WebAssembly (github.com/goccy/go-graphviz: no cgo, no
// system Graphviz), in SVG or PNG.
//
// SVG is Graphviz's own rendering. PNG is not: go-graphviz v0.2.10's raster
// renderer strokes no path (node outlines and thin edges vanish, a wide
// edge becomes a filled sliver; only text and arrowheads come out right).
// Instead Graphviz writes its drawing as xdot operations (its json output:
// ellipses, polygons, Bézier splines and text, with colours, line widths
// and styles, in points) and draw interprets them onto a gonum vector
// canvas (gonum.org/v1/plot/vg/vgimg), with the Liberation fonts, which
// share Helvetica's, Times' and Courier's metrics. The PNG is the SVG's
// picture at two pixels per point, on white. Gradient fills are drawn in
// their first colour, and images in labels are left out.
//
// Each listed edge is drawn with its width and opacity growing with its
// probability and labelled with it. With the true adjacency, edges found are
// green, extra edges red, and true edges the prediction missed grey and
// dashed.
package draw

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-graphviz"
)

// Formats are the output formats of a prediction, the first the default:
// JSON (the full answer, written by the caller), CSV, DOT, SVG and PNG.
var Formats = []string{"json", "csv", "dot", "svg", "png"}

// Edge is one listed edge From → To (indices into Graph.Names).
type Edge struct {
	From, To    int
	Probability float64
}

// Graph is a predicted graph.
type Graph struct {
	// Names label the variables.
	Names []string
	// Edges are the listed (predicted) edges.
	Edges []Edge
	// Truth is the true adjacency [N*N] ([i*N+j] = 1 for i → j), or nil.
	Truth []float32
	// Title heads the picture (empty: none).
	Title string
}

// NewGraph builds a Graph from edges given by name.
func NewGraph(names []string, from, to []string, probs []float64, truth []float32) (Graph, error) {
	g := Graph{Names: names, Truth: truth}
	if truth != nil && len(truth) != len(names)*len(names) {
		return g, fmt.Errorf("draw: a true adjacency of %d values for %d variables", len(truth), len(names))
	}
	for k := range from {
		i, j := slices.Index(names, from[k]), slices.Index(names, to[k])
		if i < 0 || j < 0 {
			return g, fmt.Errorf("draw: edge %s → %s names an unknown variable", from[k], to[k])
		}
		g.Edges = append(g.Edges, Edge{i, j, probs[k]})
	}
	return g, nil
}

// CSV returns the listed edges as "from,to,probability" lines under that
// header, most probable first (as listed).
func CSV(g Graph) []byte {
	var b bytes.Buffer
	b.WriteString("from,to,probability\n")
	for _, e := range g.Edges {
		fmt.Fprintf(&b, "%s,%s,%s\n", csvField(g.Names[e.From]), csvField(g.Names[e.To]), strconv.FormatFloat(e.Probability, 'g', 6, 64))
	}
	return b.Bytes()
}

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\n\r") {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// Colours of the picture.
const (
	colourEdge    = "#1f77b4" // a predicted edge, no truth given
	colourFound   = "#2ca02c" // predicted and true
	colourExtra   = "#d62728" // predicted, not true
	colourMissed  = "#7f7f7f" // true, not predicted
	colourNodeRim = "#444444"
)

// DOT returns the Graphviz source of the picture.
func DOT(g Graph) string {
	var b strings.Builder
	b.WriteString("digraph causeway {\n")
	b.WriteString("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, pad=0.2")
	if g.Title != "" {
		fmt.Fprintf(&b, ", label=%s, labelloc=t", quote(g.Title))
	}
	b.WriteString("];\n")
	fmt.Fprintf(&b, "  node [shape=ellipse, fontname=\"Helvetica\", fontsize=11, color=%q];\n", colourNodeRim)
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, arrowsize=0.7];\n")
	for i, name := range g.Names {
		fmt.Fprintf(&b, "  n%d [label=%s];\n", i, quote(name))
	}
	n := len(g.Names)
	listed := make([]bool, n*n)
	for _, e := range g.Edges {
		listed[e.From*n+e.To] = true
		colour := colourEdge
		if g.Truth != nil {
			colour = colourExtra
			if g.Truth[e.From*n+e.To] == 1 {
				colour = colourFound
			}
		}
		p := math.Min(math.Max(e.Probability, 0), 1)
		alpha := int(math.Round(255 * (0.35 + 0.65*p)))
		fmt.Fprintf(&b, "  n%d -> n%d [color=\"%s%02x\", penwidth=%.2f, label=\"%.2f\", fontcolor=%q];\n",
			e.From, e.To, colour, alpha, 0.6+3*p, p, colour)
	}
	if g.Truth != nil {
		for i := range n {
			for j := range n {
				if i != j && g.Truth[i*n+j] == 1 && !listed[i*n+j] {
					fmt.Fprintf(&b, "  n%d -> n%d [color=%q, style=dashed, penwidth=0.8];\n", i, j, colourMissed)
				}
			}
		}
		fmt.Fprintf(&b, "  subgraph cluster_legend { label=\"\"; color=white;\n"+
			"    legend [shape=plaintext, fontsize=10, label=<<font color=\"%s\">found</font>  <font color=\"%s\">extra</font>  <font color=\"%s\">missed (dashed)</font>>];\n  }\n",
			colourFound, colourExtra, colourMissed)
	}
	b.WriteString("}\n")
	return b.String()
}

func quote(s string) string { return strconv.Quote(s) }

// Render lays out dot with Graphviz's dot layout and renders it as format
// "svg" (Graphviz's SVG) or "png" (Graphviz's drawing rasterised by draw at
// two pixels per point; see the package documentation).
func Render(ctx context.Context, dot, format string) ([]byte, error) {
	switch format {
	case "svg":
		return graphvizRender(ctx, dot, graphviz.SVG)
	case "png":
		layout, err := graphvizRender(ctx, dot, graphviz.Format("json"))
		if err != nil {
			return nil, err
		}
		return encodePNG(layout)
	}
	return nil, fmt.Errorf("draw: format %q: Render draws svg or png", format)
}

// graphvizRender lays out dot and writes it in Graphviz's format f.
func graphvizRender(ctx context.Context, dot string, f graphviz.Format) ([]byte, error) {
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("draw: graphviz: %w", err)
	}
	defer gv.Close()
	graph, err := graphviz.ParseBytes([]byte(dot))
	if err != nil {
		return nil, fmt.Errorf("draw: parse dot: %w", err)
	}
	defer graph.Close()
	var buf bytes.Buffer
	if err := gv.Render(ctx, graph, f, &buf); err != nil {
		return nil, fmt.Errorf("draw: render %s: %w", f, err)
	}
	return buf.Bytes(), nil
}
