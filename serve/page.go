package serve

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"causeway/api"
	"causeway/draw"
)

// pageHTML is the browser page GET / answers: one self-contained file (no
// CDN, no build step) that calls the server's own JSON API: GET /models,
// POST /predict with a data set, POST /draw.
//
//go:embed page/index.html
var pageHTML []byte

func (s *Server) page(c echo.Context) error {
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' data:")
	h.Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, "text/html; charset=utf-8", pageHTML)
}

// DrawRequest is the body of POST /draw: a graph to picture.
type DrawRequest struct {
	Variables []string `json:"variables"`
	Edges     []struct {
		From        string  `json:"from"`
		To          string  `json:"to"`
		Probability float64 `json:"probability"`
	} `json:"edges"`
	// Truth is the true adjacency (optional; rows = parents).
	Truth [][]float64 `json:"truth,omitempty"`
	Title string      `json:"title,omitempty"`
}

// maxDrawVariables bounds the graphs POST /draw lays out.
const maxDrawVariables = 200

// drawGraph answers POST /draw with the graph as SVG (package draw).
func (s *Server) drawGraph(c echo.Context) error {
	body, err := s.readBody(c)
	if err != nil {
		return err
	}
	var r DrawRequest
	err = decodeJSON(body.Bytes(), &r)
	s.putBuffer(body)
	if err != nil {
		return badRequest(err)
	}
	n := len(r.Variables)
	switch {
	case n == 0:
		return fieldError("variables", "empty: name the graph's variables")
	case n > maxDrawVariables:
		return fieldError("variables", "%d variables: POST /draw lays out at most %d", n, maxDrawVariables)
	case len(r.Edges) > n*n:
		return fieldError("edges", "%d edges among %d variables", len(r.Edges), n)
	case r.Truth != nil && len(r.Truth) != n:
		return fieldError("truth", "%d rows for %d variables", len(r.Truth), n)
	}
	from, to, probs := make([]string, len(r.Edges)), make([]string, len(r.Edges)), make([]float64, len(r.Edges))
	for i, e := range r.Edges {
		from[i], to[i], probs[i] = e.From, e.To, e.Probability
	}
	var truth []float32
	for i, row := range r.Truth {
		if len(row) != n {
			return fieldError(fmt.Sprintf("truth[%d]", i), "has %d entries for %d variables", len(row), n)
		}
		for _, v := range row {
			truth = append(truth, float32(v))
		}
	}
	g, err := draw.NewGraph(r.Variables, from, to, probs, truth)
	if err != nil {
		return badRequest(err)
	}
	g.Title = r.Title
	ctx, cancel := context.WithTimeout(c.Request().Context(), 30*time.Second)
	defer cancel()
	var svg []byte
	err = s.run(c, func(context.Context) (err error) {
		svg, err = draw.Render(ctx, draw.DOT(g), "svg")
		return err
	})
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, "image/svg+xml", svg)
}

// decodeJSON decodes body strictly into v: unknown, duplicate and
// wrongly-cased keys are errors.
func decodeJSON(body []byte, v any) error {
	if err := api.CheckKeys(body, drawKeys); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed request: %w", err)
	}
	return nil
}

var drawKeys = api.AddKnownKeys(nil, DrawRequest{}, struct {
	From        string  `json:"from"`
	To          string  `json:"to"`
	Probability float64 `json:"probability"`
}{})
