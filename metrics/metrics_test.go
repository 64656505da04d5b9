package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

// The 3-node example computed by hand. Truth: 0->1, 1->2.
var (
	probs3 = []float32{
		0, 0.9, 0.2,
		0.1, 0, 0.4,
		0.3, 0.7, 0,
	}
	truth3 = []float32{
		0, 1, 0,
		0, 0, 1,
		0, 0, 0,
	}
)

func b(s string) []bool {
	out := make([]bool, len(s))
	for i, c := range s {
		out[i] = c == '1'
	}
	return out
}

func TestSHD(t *testing.T) {
	tests := []struct {
		name        string
		pred, truth string
		n           int
		want        int
	}{
		{"equal", "010001000", "010001000", 3, 0},
		{"missing edge", "000001000", "010001000", 3, 1},
		{"extra edge", "011001000", "010001000", 3, 1},
		{"reversed edge counts once", "010000010", "010001000", 3, 1},
		{"both directions predicted", "010001010", "010001000", 3, 1},
		{"diagonal ignored", "110011001", "010001000", 3, 0},
		{"empty prediction", "000000000", "010001000", 3, 2},
		{"all wrong", "000100110", "011001000", 3, 3},
		{"single node", "1", "0", 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := SHD(b(tc.pred), b(tc.truth), tc.n); got != tc.want {
				t.Errorf("SHD = %d, want %d", got, tc.want)
			}
			// SHD is symmetric in its arguments.
			if got := SHD(b(tc.truth), b(tc.pred), tc.n); got != tc.want {
				t.Errorf("SHD swapped = %d, want %d", got, tc.want)
			}
		})
	}
	// The hand example: 0->1 found, 1->2 predicted as 2->1 (0.7).
	if got := SHD(Threshold(probs3, EdgeThreshold), Threshold(truth3, 0.5), 3); got != 1 {
		t.Errorf("SHD of the 3-node example = %d, want 1", got)
	}
}

func TestThreshold(t *testing.T) {
	got := Threshold([]float64{0, 0.49, 0.5, 0.51, 1}, 0.5)
	want := []bool{false, false, false, true, true}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("Threshold[%d] = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestOffDiagonal(t *testing.T) {
	got := OffDiagonal([]int{0, 1, 2, 3, 4, 5, 6, 7, 8}, 3)
	want := []int{1, 2, 3, 5, 6, 7}
	if len(got) != len(want) {
		t.Fatalf("OffDiagonal = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("OffDiagonal = %v, want %v", got, want)
		}
	}
}

func TestRankingMetrics(t *testing.T) {
	tests := []struct {
		name   string
		scores []float64
		labels string
		auroc  float64 // NaN: undefined
		auprc  float64
	}{
		// Off-diagonal entries of the 3-node example, row-major.
		{"3-node example", []float64{0.9, 0.2, 0.1, 0.4, 0.3, 0.7}, "100100", 7.0 / 8, 0.5 + 0.5*2.0/3},
		{"perfect", []float64{0.9, 0.8, 0.1}, "110", 1, 1},
		{"inverted", []float64{0.1, 0.2, 0.9}, "110", 0, 0.5*1.0/2 + 0.5*2.0/3},
		{"all tied", []float64{0.5, 0.5, 0.5, 0.5}, "1010", 0.5, 0.5},
		// Positive {.8,.2}, negative {.8}: one tie (1/2), one loss.
		// sklearn average_precision_score([1,0,1],[.8,.8,.2]) = 0.58333.
		{"ties", []float64{0.8, 0.8, 0.2}, "101", 0.25, 0.5*0.5 + 0.5*2.0/3},
		{"no positives", []float64{0.1, 0.2}, "00", math.NaN(), math.NaN()},
		{"no negatives", []float64{0.1, 0.2}, "11", math.NaN(), 1},
		{"empty", nil, "", math.NaN(), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			labels := b(tc.labels)
			auc, ok := AUROC(tc.scores, labels)
			if !near(auc, tc.auroc) || ok == math.IsNaN(tc.auroc) {
				t.Errorf("AUROC = %v, %v; want %v", auc, ok, tc.auroc)
			}
			ap, ok := AUPRC(tc.scores, labels)
			if !near(ap, tc.auprc) || ok == math.IsNaN(tc.auprc) {
				t.Errorf("AUPRC = %v, %v; want %v", ap, ok, tc.auprc)
			}
			// float32 scores give the same answers.
			s32 := make([]float32, len(tc.scores))
			for i, s := range tc.scores {
				s32[i] = float32(s)
			}
			if auc32, _ := AUROC(s32, labels); !near(auc32, tc.auroc) {
				t.Errorf("AUROC(float32) = %v, want %v", auc32, tc.auroc)
			}
		})
	}
}

// TestAUROCBruteForce compares AUROC with counting all positive–negative
// pairs, on random scores with many ties.
func TestAUROCBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 2 + rng.IntN(200)
		scores := make([]float64, n)
		labels := make([]bool, n)
		for i := range n {
			labels[i] = rng.Float64() < 0.3
			scores[i] = float64(rng.IntN(10)) / 10 // ties
			if labels[i] {
				scores[i] = math.Min(1, scores[i]+0.2*rng.Float64())
			}
		}
		var wins float64
		pos, neg := 0, 0
		for i := range n {
			if labels[i] {
				pos++
			} else {
				neg++
			}
			for j := range n {
				if !labels[i] || labels[j] {
					continue
				}
				switch {
				case scores[i] > scores[j]:
					wins++
				case scores[i] == scores[j]:
					wins += 0.5
				}
			}
		}
		got, ok := AUROC(scores, labels)
		if pos == 0 || neg == 0 {
			if ok {
				t.Errorf("trial %d: AUROC ok with one class", trial)
			}
			continue
		}
		if want := wins / float64(pos*neg); !ok || !near(got, want) {
			t.Errorf("trial %d: AUROC = %v, brute force %v", trial, got, want)
		}
	}
}

// TestAUPRCBruteForce compares AUPRC with its definition evaluated at every
// distinct threshold.
func TestAUPRCBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 50 {
		n := 1 + rng.IntN(100)
		scores := make([]float64, n)
		labels := make([]bool, n)
		npos := 0
		for i := range n {
			labels[i] = rng.Float64() < 0.4
			scores[i] = float64(rng.IntN(8))
			if labels[i] {
				npos++
			}
		}
		if npos == 0 {
			continue
		}
		// Thresholds from high to low; at each, predict score >= t.
		var want, prevRecall float64
		for t := 7; t >= 0; t-- {
			tp, fp := 0, 0
			for i := range n {
				if scores[i] >= float64(t) {
					if labels[i] {
						tp++
					} else {
						fp++
					}
				}
			}
			if tp+fp == 0 {
				continue
			}
			recall := float64(tp) / float64(npos)
			want += (recall - prevRecall) * float64(tp) / float64(tp+fp)
			prevRecall = recall
		}
		if got, ok := AUPRC(scores, labels); !ok || !near(got, want) {
			t.Errorf("trial %d: AUPRC = %v, want %v", trial, got, want)
		}
	}
}

func TestF1(t *testing.T) {
	tests := []struct {
		name          string
		scores        []float32
		labels        string
		threshold     float64
		prec, rec, f1 float64
	}{
		{"3-node example", []float32{0.9, 0.2, 0.1, 0.4, 0.3, 0.7}, "100100", 0.5, 0.5, 0.5, 0.5},
		{"threshold is strict", []float32{0.5, 0.6}, "11", 0.5, 1, 0.5, 2.0 / 3},
		{"lower threshold", []float32{0.9, 0.2, 0.1, 0.4, 0.3, 0.7}, "100100", 0.25, 0.5, 1, 2.0 / 3},
		{"nothing predicted", []float32{0.1, 0.2}, "10", 0.5, 0, 0, 0},
		{"no true edges", []float32{0.9, 0.2}, "00", 0.5, 0, 0, 0},
		{"perfect", []float32{0.9, 0.1}, "10", 0.5, 1, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, r, f := F1(tc.scores, b(tc.labels), tc.threshold)
			if !near(p, tc.prec) || !near(r, tc.rec) || !near(f, tc.f1) {
				t.Errorf("F1 = %v, %v, %v; want %v, %v, %v", p, r, f, tc.prec, tc.rec, tc.f1)
			}
		})
	}
}

func TestDeltaMetrics(t *testing.T) {
	tests := []struct {
		name        string
		pred, truth []float64
		delta       float64
		mse, huber  float64
	}{
		{"zero", []float64{1, 2}, []float64{1, 2}, 1, 0, 0},
		{"quadratic zone", []float64{0.5}, []float64{0}, 1, 0.25, 0.125},
		{"boundary is linear", []float64{1}, []float64{0}, 1, 1, 0.5},
		{"linear zone", []float64{0, 0}, []float64{2, -3}, 1, 6.5, (1.5 + 2.5) / 2},
		{"delta 2", []float64{1, 3}, []float64{0, 0}, 2, 5, (0.5 + 4) / 2},
		{"empty", nil, nil, 1, math.NaN(), math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MSE(tc.pred, tc.truth); !near(got, tc.mse) {
				t.Errorf("MSE = %v, want %v", got, tc.mse)
			}
			if got := Huber(tc.pred, tc.truth, tc.delta); !near(got, tc.huber) {
				t.Errorf("Huber = %v, want %v", got, tc.huber)
			}
		})
	}
}

func TestMeanShift(t *testing.T) {
	// 3 samples of 2 variables.
	samples := []float32{1, 10, 2, 20, 3, 30}
	got := MeanShift(samples, []float32{0.5, 25}, 2)
	want := []float32{1.5, -5}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("MeanShift = %v, want %v", got, want)
	}
}

func TestPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"SHD short pred", func() { SHD(make([]bool, 8), make([]bool, 9), 3) }},
		{"OffDiagonal", func() { OffDiagonal(make([]int, 5), 2) }},
		{"AUROC lengths", func() { AUROC([]float64{1}, nil) }},
		{"AUPRC lengths", func() { AUPRC([]float64{1}, nil) }},
		{"F1 lengths", func() { F1([]float64{1}, nil, 0.5) }},
		{"MSE lengths", func() { MSE([]float64{1}, nil) }},
		{"Huber lengths", func() { Huber([]float64{1}, nil, 1) }},
		{"MeanShift ragged", func() { MeanShift([]float64{1, 2, 3}, []float64{0, 0}, 2) }},
		{"MeanShift no samples", func() { MeanShift(nil, []float64{0, 0}, 2) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			tc.f()
		})
	}
}
