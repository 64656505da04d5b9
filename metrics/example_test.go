package metrics_test

import (
	"fmt"
	"log"
	"os"

	"causeway/metrics"
)

func ExampleAccumulator() {
	var acc metrics.Accumulator
	// One held-out graph, 3 nodes, true edges 0->1 and 1->2.
	intSamples := []float32{ // 2 interventional samples of 3 variables
		5, 1.5, -0.5,
		5, 2.5, 0.5,
	}
	targetRow := []float32{0.2, 1, 0}
	err := acc.Add(metrics.Prediction{
		N: 3,
		AdjProbs: []float32{
			0, 0.9, 0.2,
			0.1, 0, 0.4,
			0.3, 0.7, 0,
		},
		TrueAdj: []float32{
			0, 1, 0,
			0, 0, 1,
			0, 0, 0,
		},
		Delta:         []float32{4.8, 1.5, 0.5},
		TrueDelta:     []float32{4.8, 0.5, -1},
		BaselineDelta: metrics.MeanShift(intSamples, targetRow, 3),
	})
	if err != nil {
		log.Fatal(err)
	}
	r := acc.Report()
	fmt.Printf("SHD %.0f (empty graph %.0f), AUROC %.3f\n", r.Structure.SHD, r.EmptyGraph.SHD, r.Structure.AUROC)
	r.WriteTable(os.Stdout)
	// Output:
	// SHD 1 (empty graph 2), AUROC 0.875
	// graphs: 1, true edges per graph: 2.00, edge threshold: 0.5
	// metric                  model  empty graph   mean shift
	// SHD                      1.00         2.00            —
	// AUROC                  0.8750       0.5000            —
	// AUROC per graph        0.8750       0.5000            —
	// AUPRC                  0.8333       0.3333            —
	// AUPRC per graph        0.8333       0.3333            —
	// precision              0.5000       0.0000            —
	// recall                 0.5000       0.0000            —
	// F1                     0.5000       0.0000            —
	// edges per graph          2.00         0.00            —
	// delta MSE              1.0833            —       0.4167
	// delta Huber            0.5000            —       0.2083
}

func ExampleSHD() {
	truth := []bool{ // 0->1, 1->2
		false, true, false,
		false, false, true,
		false, false, false,
	}
	pred := []bool{ // 0->1 found, 1->2 reversed
		false, true, false,
		false, false, false,
		false, true, false,
	}
	fmt.Println(metrics.SHD(pred, truth, 3))
	// Output: 1
}

func ExampleAUROC() {
	scores := []float64{0.9, 0.2, 0.1, 0.4, 0.3, 0.7}
	labels := []bool{true, false, false, true, false, false}
	auc, ok := metrics.AUROC(scores, labels)
	fmt.Println(auc, ok)
	_, ok = metrics.AUROC(scores, make([]bool, len(scores))) // no positives
	fmt.Println(ok)
	// Output:
	// 0.875 true
	// false
}
