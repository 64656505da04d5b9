package report

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"causeway/metrics"
)

// notAvailable marks an undefined metric (NaN) or a run without a final
// validation.
const notAvailable = "n/a"

// column is one column of the results table.
type column struct {
	head  string
	right bool                 // right-aligned (numbers)
	cell  func(r *Run) string  // the formatted cell
	value func(r *Run) float64 // the metric, for marking the best run; nil: not ranked
	high  bool                 // higher values are better
}

// final is the run's final held-out report, if it has one.
func final(r *Run) (metrics.Report, bool) {
	if r.Summary.Final == nil {
		return metrics.Report{}, false
	}
	return *r.Summary.Final, true
}

// formatFloat formats x with prec decimals, or n/a if it is not finite.
func formatFloat(x float64, prec int) string {
	if !finite(x) {
		return notAvailable
	}
	return strconv.FormatFloat(x, 'f', prec, 64)
}

// formatSeconds formats a wall time to a tenth of a second, always with
// one decimal: "0.4s", "42.0s", "2m05.3s", "1h02m03.0s" (time.ParseDuration
// reads them all).
func formatSeconds(s float64) string {
	if !finite(s) || s < 0 {
		return notAvailable
	}
	tenths := int64(math.Round(s * 10))
	h, m, sec := tenths/36000, tenths/600%60, float64(tenths%600)/10
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%04.1fs", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm%04.1fs", m, sec)
	}
	return fmt.Sprintf("%.1fs", sec)
}

// metricColumn is a column of a final held-out metric with prec decimals.
func metricColumn(head string, prec int, high bool, f func(metrics.Report) float64) column {
	value := func(r *Run) float64 {
		rep, ok := final(r)
		if !ok {
			return math.NaN()
		}
		return f(rep)
	}
	return column{head: head, right: true, high: high, value: value,
		cell: func(r *Run) string { return formatFloat(value(r), prec) }}
}

// Decimals of the table's numbers: counts per graph as eval prints them,
// probabilities and errors to four.
const (
	precCount = 2
	precProb  = 4
	precDelta = 4
	precRate  = 2
)

func resultColumns() []column {
	return []column{
		{head: "run", cell: func(r *Run) string { return escape(r.Name) }},
		{head: "variant", cell: func(r *Run) string { return escape(string(r.Summary.Variant)) }},
		{head: "steps", right: true, cell: func(r *Run) string { return strconv.Itoa(r.Summary.Steps) }},
		{head: "wall time", right: true, cell: func(r *Run) string { return formatSeconds(r.Summary.Seconds) }},
		{head: "steps/s", right: true, cell: func(r *Run) string { return formatFloat(r.Summary.StepsPerSec, precRate) }},
		metricColumn("SHD", precCount, false, func(m metrics.Report) float64 { return m.Structure.SHD }),
		metricColumn("AUROC", precProb, true, func(m metrics.Report) float64 { return m.Structure.AUROC }),
		metricColumn("AUPRC", precProb, true, func(m metrics.Report) float64 { return m.Structure.AUPRC }),
		metricColumn("F1", precProb, true, func(m metrics.Report) float64 { return m.Structure.F1 }),
		metricColumn("delta MSE", precDelta, false, func(m metrics.Report) float64 { return m.Delta.MSE }),
		metricColumn("delta Huber", precDelta, false, func(m metrics.Report) float64 { return m.Delta.Huber }),
		unranked(metricColumn("empty-graph SHD", precCount, false, func(m metrics.Report) float64 { return m.EmptyGraph.SHD })),
		unranked(metricColumn("mean-shift MSE", precDelta, false, func(m metrics.Report) float64 { return m.MeanShift.MSE })),
	}
}

func unranked(c column) column {
	c.value = nil
	return c
}

func runColumns() []column {
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return escape(s)
	}
	return []column{
		{head: "run", cell: func(r *Run) string { return escape(r.Name) }},
		{head: "variant", cell: func(r *Run) string { return escape(string(r.Summary.Variant)) }},
		{head: "parameters", right: true, cell: func(r *Run) string { return strconv.Itoa(r.Summary.Params) }},
		{head: "batch", right: true, cell: func(r *Run) string { return strconv.Itoa(r.Summary.Config.Batch) }},
		{head: "nodes", right: true, cell: func(r *Run) string {
			return fmt.Sprintf("%d–%d", r.Summary.Config.MinNodes, r.Summary.Config.MaxNodes)
		}},
		{head: "lr", right: true, cell: func(r *Run) string { return strconv.FormatFloat(r.Summary.Config.LR, 'g', -1, 64) }},
		{head: "seed", right: true, cell: func(r *Run) string { return strconv.FormatUint(r.Summary.Config.Seed, 10) }},
		{head: "prior", cell: func(r *Run) string { return dash(string(r.Summary.Config.SCM.Prior)) }},
		{head: "held-out set", cell: func(r *Run) string { return escape(heldOut(r)) }},
		{head: "skipped steps", right: true, cell: func(r *Run) string { return strconv.Itoa(r.Summary.SkippedStep) }},
		{head: "BLAS", cell: func(r *Run) string { return dash(r.Summary.BLAS) }},
		{head: "version", cell: func(r *Run) string { return dash(r.Summary.Version) }},
	}
}

// heldOut describes a run's validation set.
func heldOut(r *Run) string {
	c := r.Summary.Config
	if c.ValGraphs == 0 {
		return "none"
	}
	return fmt.Sprintf("%d graphs × %d nodes, seed %d", c.ValGraphs, c.ValNodes, c.ValSeed)
}

// escape makes s safe inside a markdown table cell.
func escape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// writeTable writes cols over runs as a markdown table. In a ranked column
// the best value (as printed) is bold when there are at least two runs,
// all validated on the same held-out set.
func writeTable(b *bytes.Buffer, runs []*Run, cols []column) {
	cells := make([][]string, len(runs))
	for i, r := range runs {
		cells[i] = make([]string, len(cols))
		for j, c := range cols {
			cells[i][j] = c.cell(r)
		}
	}
	// Runs validated on different held-out sets are not ranked.
	rank := len(runs) > 1 && heldOutNote(runs) == ""
	for j, c := range cols {
		if c.value == nil || !rank {
			continue
		}
		best, found := 0.0, false
		for _, r := range runs {
			v := c.value(r)
			if finite(v) && (!found || (c.high && v > best) || (!c.high && v < best)) {
				best, found = v, true
			}
		}
		if !found {
			continue
		}
		top := ""
		for i, r := range runs {
			if c.value(r) == best {
				top = cells[i][j]
				break
			}
		}
		// Runs that tie with the best as printed are bold too.
		for i := range runs {
			if cells[i][j] == top {
				cells[i][j] = "**" + top + "**"
			}
		}
	}
	row := func(fields []string) {
		b.WriteString("| " + strings.Join(fields, " | ") + " |\n")
	}
	heads := make([]string, len(cols))
	rules := make([]string, len(cols))
	for j, c := range cols {
		heads[j] = c.head
		rules[j] = "---"
		if c.right {
			rules[j] = "---:"
		}
	}
	row(heads)
	row(rules)
	for _, r := range cells {
		row(r)
	}
}

// Markdown returns the README.md of a comparison of runs: the table of
// final held-out metrics, a table of the runs' settings and links to the
// plots Write draws. The same runs give the same bytes.
func Markdown(runs []*Run) []byte {
	var b bytes.Buffer
	b.WriteString("# Run comparison\n\n")
	fmt.Fprintf(&b, "Written by `causeway compare` from %d run%s.\n", len(runs), plural(len(runs)))
	b.WriteString("Final held-out metrics, from each run's `summary.json`: SHD at edge probability 0.5\n")
	b.WriteString("(a reversed edge counts 1); AUROC, AUPRC and F1 pooled over all off-diagonal pairs;\n")
	b.WriteString("delta MSE and Huber over all variables.\n")
	b.WriteString("Lower is better for SHD and the delta errors, higher for AUROC, AUPRC and F1")
	if len(runs) > 1 && heldOutNote(runs) == "" {
		b.WriteString(";\nthe best value of each metric among the runs is in bold")
	}
	b.WriteString(".\nThe last two columns are the baselines on the same held-out graphs: the empty graph, and\n")
	b.WriteString("delta = mean of the interventional samples minus the target row (mean shift).\n")
	b.WriteString("Wall time and steps/s are those of the last session of a resumed run.\n\n")
	writeTable(&b, runs, resultColumns())
	if note := heldOutNote(runs); note != "" {
		b.WriteString("\n" + note + "\n")
	}
	b.WriteString("\n## Runs\n\n")
	writeTable(&b, runs, runColumns())
	b.WriteString("\n## Held-out curves\n\n")
	for _, m := range []Metric{SHD, DeltaMSE, AUROC} {
		fmt.Fprintf(&b, "![Held-out %s against steps, one line per run; dashed: the %s baseline](%s)\n\n", m.Name, m.BaselineName, m.File)
	}
	b.WriteString("## Training loss\n\n")
	fmt.Fprintf(&b, "![Total training loss against steps, one line per run](%s)\n", LossFile)
	return b.Bytes()
}

// heldOutNote warns when the runs were validated on different held-out
// sets, whose numbers do not compare directly.
func heldOutNote(runs []*Run) string {
	seen := map[string]bool{}
	for _, r := range runs {
		c := r.Summary.Config
		seen[fmt.Sprintf("%d|%d|%d|%+v", c.ValGraphs, c.ValNodes, c.ValSeed, c.SCM)] = true
	}
	if len(seen) > 1 {
		return "**Note:** the runs were validated on different held-out sets (see the table below), so their numbers do not compare directly."
	}
	return ""
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
