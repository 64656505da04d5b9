package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"causeway/api"
	"causeway/draw"
	"causeway/scm"
)

// formatResult renders a prediction in the --format asked for.
func formatResult(c *cli.Context, result any) ([]byte, error) {
	format := strings.ToLower(c.String("format"))
	if !slices.Contains(draw.Formats, format) {
		return nil, fmt.Errorf("--format %q: want one of %s", format, strings.Join(draw.Formats, ", "))
	}
	if format == "json" {
		return api.Format(result)
	}
	g, err := drawable(c, result)
	if err != nil {
		return nil, err
	}
	switch format {
	case "csv":
		return draw.CSV(g), nil
	case "dot":
		return []byte(draw.DOT(g)), nil
	}
	return draw.Render(c.Context, draw.DOT(g), format)
}

// drawable turns a prediction into a draw.Graph, with the truth from
// --truth or beside --data.
func drawable(c *cli.Context, result any) (draw.Graph, error) {
	var names []string
	var edges []api.Edge
	title := ""
	switch r := result.(type) {
	case *api.DataResponse:
		names, edges, title = r.Variables, r.Edges, fmt.Sprintf("%s: edges above %.2g", r.Model, r.Threshold)
	case *api.DatasetResult:
		names, edges, title = r.Variables, r.EdgesMean, fmt.Sprintf("%s: mean over %d blocks, edges above %.2g", r.Model, len(r.Predictions), r.Threshold)
	case *api.Response:
		names, edges, title = r.Variables, r.Edges, fmt.Sprintf("%s: edges above %.2g", r.Model, r.Threshold)
	default:
		return draw.Graph{}, fmt.Errorf("--format %s draws one graph; a batch answer holds several (use --format json)", c.String("format"))
	}
	from, to, probs := make([]string, len(edges)), make([]string, len(edges)), make([]float64, len(edges))
	for i, e := range edges {
		from[i], to[i], probs[i] = e.From, e.To, float64(e.Probability)
	}
	truth, err := truthFor(c, names)
	if err != nil {
		return draw.Graph{}, err
	}
	g, err := draw.NewGraph(names, from, to, probs, truth)
	g.Title = title
	return g, err
}

// truthFor reads --truth, else the adjacency.csv beside --data (nil when
// there is none).
func truthFor(c *cli.Context, names []string) ([]float32, error) {
	path := c.String("truth")
	if path == "" && c.String("data") != "" {
		path = scm.AdjacencyBeside(c.String("data"))
	}
	if path == "" {
		return nil, nil
	}
	adj, err := scm.LoadAdjacency(path, names)
	if err != nil {
		return nil, fmt.Errorf("--truth: %w", err)
	}
	return adj, nil
}
