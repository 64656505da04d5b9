package draw

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

func sample(t *testing.T, truth []float32) Graph {
	t.Helper()
	g, err := NewGraph([]string{"rain", "sprinkler", "wet, grass"}, []string{"rain", "sprinkler"}, []string{"wet, grass", "wet, grass"}, []float64{0.9, 0.6}, truth)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestCSV(t *testing.T) {
	got := string(CSV(sample(t, nil)))
	want := "from,to,probability\nrain,\"wet, grass\",0.9\nsprinkler,\"wet, grass\",0.6\n"
	if got != want {
		t.Errorf("CSV:\n%s\nwant\n%s", got, want)
	}
}

func TestDOTColoursAgainstTheTruth(t *testing.T) {
	// True: rain → wet and rain → sprinkler; predicted: rain → wet (found)
	// and sprinkler → wet (extra); rain → sprinkler is missed.
	truth := []float32{0, 1, 1, 0, 0, 0, 0, 0, 0}
	dot := DOT(sample(t, truth))
	for _, want := range []string{`n0 -> n2 [color="` + colourFound, `n1 -> n2 [color="` + colourExtra, `n0 -> n1 [color="` + colourMissed + `", style=dashed`, `label="wet, grass"`} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %q:\n%s", want, dot)
		}
	}
	if strings.Contains(DOT(sample(t, nil)), "dashed") {
		t.Error("without a truth nothing is drawn as missed")
	}
}

func TestRender(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Graphviz (WebAssembly)")
	}
	dot := DOT(sample(t, []float32{0, 1, 1, 0, 0, 0, 0, 0, 0}))
	for _, c := range []struct {
		format string
		prefix string // of the output
		err    string // of the error, instead
	}{
		{format: "svg", prefix: "<?xml"},
		{format: "png", prefix: "\x89PNG\r\n\x1a\n"},
		{format: "gif", err: `format "gif": Render draws svg or png`},
		{format: "jpg", err: `format "jpg"`},
		{format: "PNG", err: `format "PNG"`},
		{format: "json", err: `format "json"`},
		{format: "", err: `format ""`},
	} {
		out, err := Render(context.Background(), dot, c.format)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.format, err, c.err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.format, err)
		case !bytes.HasPrefix(out, []byte(c.prefix)):
			t.Errorf("%s begins %q, want %q", c.format, out[:min(len(out), 16)], c.prefix)
		}
	}
	svg, err := Render(context.Background(), dot, "svg")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("sprinkler")) {
		t.Errorf("SVG without the graph: %.300s", svg)
	}
}

// TestFormatsRender holds Formats to Render: every format the CLI offers
// beyond json, csv and dot (written by it) is one Render draws.
func TestFormatsRender(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Graphviz (WebAssembly)")
	}
	if !slices.Contains(Formats, "png") || Formats[0] != "json" {
		t.Errorf("Formats = %v", Formats)
	}
	dot := DOT(sample(t, nil))
	for _, f := range Formats {
		if f == "json" || f == "csv" || f == "dot" {
			continue
		}
		if out, err := Render(context.Background(), dot, f); err != nil || len(out) == 0 {
			t.Errorf("Render %s: %d bytes, %v", f, len(out), err)
		}
	}
}
