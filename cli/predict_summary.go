package cli

import (
	"fmt"
	"io"
	"slices"

	"causeway/api"
	"causeway/metrics"
)

// writeDataSummary prints a short human summary of a data-set prediction:
// what was read (st), the edges found and, when the data set has its true
// adjacency adj (adjacency.csv beside data.csv; nil when there is none),
// the scores against it.
func writeDataSummary(w io.Writer, res *api.DataResponse, st api.CSVStats, adj []float32) {
	if w == nil {
		return
	}
	n := len(res.Variables)
	fmt.Fprintf(w, "%s: %d variables, %d rows (%d observational, %d interventional blocks); %d edges above %.2g",
		res.Model, n, st.Rows, st.ObsRows, st.Blocks, len(res.Edges), res.Threshold)
	if res.DAG {
		fmt.Fprint(w, " (acyclic)")
	}
	fmt.Fprintln(w)
	if adj == nil {
		return
	}
	probs := make([]float32, n*n)
	for i, row := range res.Adjacency {
		copy(probs[i*n:], row)
	}
	truth := make([]bool, n*n)
	trueEdges := 0
	for i, v := range adj {
		truth[i] = v == 1
		if truth[i] && i/n != i%n {
			trueEdges++
		}
	}
	pred := make([]bool, n*n)
	for _, e := range res.Edges {
		pred[slices.Index(res.Variables, e.From)*n+slices.Index(res.Variables, e.To)] = true
	}
	scores, labels := metrics.OffDiagonal(probs, n), metrics.OffDiagonal(truth, n)
	auroc, _ := metrics.AUROC(scores, labels)
	auprc, _ := metrics.AUPRC(scores, labels)
	tp := 0
	for i := range pred {
		if pred[i] && truth[i] {
			tp++
		}
	}
	precision, recall := 0.0, 0.0
	if len(res.Edges) > 0 {
		precision = float64(tp) / float64(len(res.Edges))
	}
	if trueEdges > 0 {
		recall = float64(tp) / float64(trueEdges)
	}
	fmt.Fprintf(w, "against the true graph (%d edges): AUROC %.3f  AUPRC %.3f  SHD %d (empty graph %d)  precision %.2f  recall %.2f\n",
		trueEdges, auroc, auprc, metrics.SHD(pred, truth, n), trueEdges, precision, recall)
}
