package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"causeway/atomicfile"
	"causeway/metrics"
)

// Size of the PNG plots: 8 × 5 inches at 120 dots per inch (960 × 600).
const (
	plotWidth  = 8 * vg.Inch
	plotHeight = 5 * vg.Inch
	plotDPI    = 120
)

// Metric is one held-out metric that Plot draws against steps.
type Metric struct {
	// File is the plot's file name in Write's output directory.
	File string
	// Name names the metric in titles and tables, e.g. "delta MSE".
	Name string
	// HigherIsBetter tells the direction of improvement.
	HigherIsBetter bool
	// Value extracts the metric from a validation report.
	Value func(metrics.Report) float64
	// BaselineName names the baseline, e.g. "empty graph".
	BaselineName string
	// Baseline extracts the baseline's score on the same held-out graphs
	// from a validation report; it does not depend on the model, so Plot
	// draws it as a dashed horizontal line.
	Baseline func(metrics.Report) float64
	// YInclude are values the y-axis always spans (e.g. 0 for an error).
	YInclude []float64
}

// The metrics Write plots.
var (
	// SHD is the mean structural Hamming distance per held-out graph.
	SHD = Metric{
		File: "shd.png", Name: "SHD",
		Value:        func(r metrics.Report) float64 { return r.Structure.SHD },
		BaselineName: "empty graph",
		Baseline:     func(r metrics.Report) float64 { return r.EmptyGraph.SHD },
		YInclude:     []float64{0},
	}
	// DeltaMSE is the mean squared error of the predicted delta relative
	// to the mean-shift baseline's on the same graphs (1 = the baseline):
	// the raw MSEs of runs differ by far less than their size, so a ratio
	// keeps them apart.
	DeltaMSE = Metric{
		File: "delta_mse.png", Name: "delta MSE / mean-shift MSE",
		Value:        func(r metrics.Report) float64 { return r.Delta.MSE / r.MeanShift.MSE },
		BaselineName: "mean shift (= 1)",
		Baseline:     func(r metrics.Report) float64 { return 1 },
	}
	// AUROC is the edge AUROC pooled over all held-out graphs.
	AUROC = Metric{
		File: "auroc.png", Name: "AUROC", HigherIsBetter: true,
		Value:        func(r metrics.Report) float64 { return r.Structure.AUROC },
		BaselineName: "empty graph (chance)",
		Baseline:     func(r metrics.Report) float64 { return r.EmptyGraph.AUROC },
		YInclude:     []float64{1},
	}
)

// LossFile is the file name of the training-loss plot in Write's output
// directory.
const LossFile = "loss.png"

// palette is matplotlib's "tab10" without its grey, which marks baselines.
var palette = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff},
	color.RGBA{0xff, 0x7f, 0x0e, 0xff},
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff},
	color.RGBA{0xd6, 0x27, 0x28, 0xff},
	color.RGBA{0x94, 0x67, 0xbd, 0xff},
	color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	color.RGBA{0xe3, 0x77, 0xc2, 0xff},
	color.RGBA{0xbc, 0xbd, 0x22, 0xff},
	color.RGBA{0x17, 0xbe, 0xcf, 0xff},
}

var baselineColor = color.RGBA{0x55, 0x55, 0x55, 0xff}

// style gives run i its colour and marker: colours cycle through the
// palette, and each further cycle changes the marker.
func style(i int) (color.Color, draw.GlyphDrawer) {
	return palette[i%len(palette)], plotutil.Shape(i / len(palette))
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Plot draws metric m of every run's validations against steps, one line
// per run, and the baseline as a dashed horizontal line, and writes the PNG
// to path atomically. Undefined (NaN) values are left out; a run without
// validations has no line.
func Plot(runs []*Run, m Metric, path string) error {
	f := newFigure(fmt.Sprintf("Held-out %s (%s is better)", m.Name, better(m.HigherIsBetter)), "step", m.Name)
	xmax := math.Inf(-1)
	for i, r := range runs {
		var xys plotter.XYs
		for _, v := range r.Val {
			if y := m.Value(v.Report); finite(y) {
				xys = append(xys, plotter.XY{X: float64(v.Step), Y: y})
				xmax = math.Max(xmax, float64(v.Step))
			}
		}
		if len(xys) == 0 {
			continue
		}
		if err := f.addRun(i, r.Label(), xys, true); err != nil {
			return fmt.Errorf("report: %s: %w", path, err)
		}
	}
	if math.IsInf(xmax, -1) {
		f.p.Title.Text += " — no validations"
	} else if err := f.addBaselines(runs, m, xmax); err != nil {
		return fmt.Errorf("report: %s: %w", path, err)
	}
	f.include(m.YInclude)
	return f.save(path)
}

// addBaselines draws m's baseline as dashed horizontal lines from step 0
// to xmax: one line when every run shares it (the same held-out graphs),
// else one per distinct value naming its runs.
func (f *figure) addBaselines(runs []*Run, m Metric, xmax float64) error {
	type group struct {
		value float64
		names []string
	}
	var groups []group
	for _, r := range runs {
		b, ok := lastBaseline(r, m)
		if !ok {
			continue
		}
		found := false
		for g := range groups {
			if groups[g].value == b {
				groups[g].names = append(groups[g].names, r.Name)
				found = true
				break
			}
		}
		if !found {
			groups = append(groups, group{b, []string{r.Name}})
		}
	}
	for i, g := range groups {
		l, err := plotter.NewLine(plotter.XYs{{X: 0, Y: g.value}, {X: xmax, Y: g.value}})
		if err != nil {
			return err
		}
		l.Color = baselineColor
		l.Width = vg.Points(1.25)
		l.Dashes = plotutil.Dashes(i + 1)
		label := "baseline: " + m.BaselineName
		if len(groups) > 1 {
			label = fmt.Sprintf("baseline: %s (%s)", m.BaselineName, strings.Join(g.names, ", "))
		}
		f.p.Add(l)
		f.legend.Add(label, l)
	}
	return nil
}

// lastBaseline is the baseline of m in the run's last validation where it
// is defined.
func lastBaseline(r *Run, m Metric) (float64, bool) {
	for i := len(r.Val) - 1; i >= 0; i-- {
		if b := m.Baseline(r.Val[i].Report); finite(b) {
			return b, true
		}
	}
	return 0, false
}

// PlotLoss draws every run's total training loss against steps, smoothed by
// a trailing median over a window of 5% of the longest run, and writes the
// PNG to path atomically.
func PlotLoss(runs []*Run, path string) error {
	last := 0
	for _, r := range runs {
		if n := len(r.Train); n > 0 {
			last = max(last, r.Train[n-1].Step)
		}
	}
	window := max(1, last/20)
	title := "Training loss (total)"
	if window > 1 {
		title = fmt.Sprintf("Training loss (total, trailing median over %d steps)", window)
	}
	f := newFigure(title, "step", "loss (log scale)")
	// A log scale: the first steps' loss is orders of magnitude above the
	// rest, which a linear axis would squash flat.
	f.p.Y.Scale, f.p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	drawn := false
	for i, r := range runs {
		xys := smooth(r.Train, window)
		if len(xys) == 0 {
			continue
		}
		drawn = true
		if err := f.addRun(i, r.Label(), xys, false); err != nil {
			return fmt.Errorf("report: %s: %w", path, err)
		}
	}
	if !drawn {
		f.p.Title.Text += " — no training steps logged"
		f.p.Y.Min, f.p.Y.Max = 0.1, 1
	}
	f.include(nil)
	return f.save(path)
}

// smooth returns, for every logged step s with a finite loss, the median
// of the finite losses logged at steps in (s−window, s]: a median, not a
// mean, so that one diverging batch does not lift a whole window.
func smooth(pts []TrainPoint, window int) plotter.XYs {
	var xys plotter.XYs
	lo := 0
	var buf []float64
	for hi, pt := range pts {
		for pts[lo].Step <= pt.Step-window {
			lo++
		}
		if !finite(pt.Loss.Total) {
			continue
		}
		buf = buf[:0]
		for _, q := range pts[lo : hi+1] {
			if finite(q.Loss.Total) {
				buf = append(buf, q.Loss.Total)
			}
		}
		sort.Float64s(buf)
		m := buf[len(buf)/2]
		if len(buf)%2 == 0 {
			m = (buf[len(buf)/2-1] + m) / 2
		}
		if m > 0 { // the log axis has no place for 0 or below
			xys = append(xys, plotter.XY{X: float64(pt.Step), Y: m})
		}
	}
	return xys
}

func better(higher bool) string {
	if higher {
		return "higher"
	}
	return "lower"
}

// figure is a plot with its legend, which save draws beside the plot
// rather than over the lines.
type figure struct {
	p      *plot.Plot
	legend plot.Legend
}

func newFigure(title, x, y string) *figure {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.X.Label.TextStyle.Font.Size = vg.Points(12)
	p.Y.Label.TextStyle.Font.Size = vg.Points(12)
	p.X.Min = 0 // steps start at 0
	p.X.Tick.Marker = trimmedTicks{}
	p.Y.Tick.Marker = trimmedTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 0xe0}
	grid.Horizontal.Color = color.Gray{Y: 0xe0}
	p.Add(grid)
	legend := plot.NewLegend()
	legend.TextStyle.Font.Size = vg.Points(10)
	legend.ThumbnailWidth = vg.Points(28)
	legend.Left, legend.Top = true, true
	legend.Padding = vg.Points(3)
	return &figure{p: p, legend: legend}
}

// trimmedTicks are gonum's default ticks with labels as precise as their
// spacing needs (gonum labels 1.005 and 1.01 both "1.01" on a narrow axis)
// and trailing zeros dropped ("50" rather than "50.00").
type trimmedTicks struct{}

// Ticks returns the default ticks for [min, max] with those labels.
func (trimmedTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	var major []float64
	for _, t := range ticks {
		if t.Label != "" {
			major = append(major, t.Value)
		}
	}
	if len(major) >= 2 {
		step := math.Abs(major[1] - major[0])
		decimals := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
		for i, t := range ticks {
			if t.Label != "" && math.Abs(t.Value) < 1e6 {
				ticks[i].Label = strconv.FormatFloat(t.Value, 'f', decimals, 64)
			}
		}
	}
	for i, t := range ticks {
		if strings.Contains(t.Label, ".") && !strings.ContainsAny(t.Label, "eE") {
			ticks[i].Label = strings.TrimRight(strings.TrimRight(t.Label, "0"), ".")
		}
	}
	return ticks
}

// addRun draws run i's line, with markers at its points if points is set.
func (f *figure) addRun(i int, label string, xys plotter.XYs, points bool) error {
	c, shape := style(i)
	if !points {
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.Color, l.Width = c, vg.Points(1.5)
		f.p.Add(l)
		f.legend.Add(label, l)
		return nil
	}
	l, s, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	l.Color, l.Width = c, vg.Points(1.75)
	s.Color, s.Shape, s.Radius = c, shape, vg.Points(2.25)
	f.p.Add(l, s)
	f.legend.Add(label, l, s)
	return nil
}

// include widens the y-axis to span ys (after the plotters set its range)
// and gives empty axes a range.
func (f *figure) include(ys []float64) {
	p := f.p
	for _, y := range ys {
		if p.Y.Min > p.Y.Max { // no data
			p.Y.Min, p.Y.Max = y, y
			continue
		}
		p.Y.Min, p.Y.Max = math.Min(p.Y.Min, y), math.Max(p.Y.Max, y)
	}
	if !(p.X.Max > p.X.Min) {
		p.X.Max = p.X.Min + 1
	}
	if p.Y.Min > p.Y.Max {
		p.Y.Min, p.Y.Max = 0, 1
	}
	if p.Y.Min == p.Y.Max {
		p.Y.Max = p.Y.Min + 1
	}
}

// Layout of the image: a margin all round, and a gap between the plot and
// the legend on its right.
const (
	margin    = 0.15 * vg.Inch
	legendGap = 0.2 * vg.Inch
)

// save renders the figure as a PNG, the legend to the right of the plot
// and level with the top of its data area, and writes it to path
// atomically.
func (f *figure) save(path string) error {
	img := vgimg.NewWith(vgimg.UseWH(plotWidth, plotHeight), vgimg.UseDPI(plotDPI))
	c := draw.Crop(draw.New(img), margin, -margin, margin, -margin)
	lw := f.legend.Rectangle(c).Size().X
	lw = min(lw, (c.Max.X-c.Min.X)/2)
	area := draw.Crop(c, 0, -(lw + legendGap), 0, 0)
	f.p.Draw(area)
	data := f.p.DataCanvas(area)
	legend := c
	legend.Min.X = c.Max.X - lw
	legend.Max.Y = data.Max.Y
	f.legend.Draw(legend)

	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return fmt.Errorf("report: %s: %w", path, err)
	}
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}
