package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"causeway/export"
	"causeway/model"
	"causeway/model/modeltest"
	"causeway/onnxrt/onnxrttest"
	"causeway/scm"
)

// csvOf writes d as a data.csv.
func csvOf(t *testing.T, d *scm.Dataset) string {
	t.Helper()
	var buf bytes.Buffer
	if err := scm.WriteCSV(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// obsLast moves a data.csv's observational rows to the end and splits
// them around the last block, so that they come after interventional ones.
func obsLast(t *testing.T, csv string) string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(csv, "\n"), "\n")
	var obs, blocks []string
	for _, l := range lines[1:] {
		if strings.HasSuffix(l, ",") {
			obs = append(obs, l)
		} else {
			blocks = append(blocks, l)
		}
	}
	half := len(obs) / 2
	out := append(append(append([]string{lines[0]}, obs[:half]...), blocks...), obs[half:]...)
	return strings.Join(out, "\n") + "\n"
}

// opener returns an open function over s that counts its calls; after
// changeAfter calls it serves changed instead (changeAfter 0: never).
func opener(s string, calls *int, changeAfter int, changed string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		*calls++
		if changeAfter > 0 && *calls > changeAfter {
			return io.NopCloser(strings.NewReader(changed)), nil
		}
		return io.NopCloser(strings.NewReader(s)), nil
	}
}

// synthDataset returns a data set of 5 variables with obsRows
// observational rows and one block of each size in blocks.
func synthDataset(obsRows int, blocks []int) *scm.Dataset {
	rng := rand.New(rand.NewPCG(4, 5))
	const n = 5
	rows := func(k, node int) []float32 {
		v := make([]float32, k*n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
			if node >= 0 && i%n == node {
				v[i] = 2
			}
		}
		return v
	}
	d := &scm.Dataset{Names: scm.VariableNames(n), Obs: rows(obsRows, -1)}
	for i, k := range blocks {
		d.Blocks = append(d.Blocks, scm.Block{Node: i % n, Value: 2, Data: rows(k, i%n)})
	}
	return d
}

// TestPredictDatasetCSV: the streaming prediction equals PredictDataset on
// the whole data set, in one reading when the observational rows come
// first and in two when they do not; its errors name the problem.
func TestPredictDatasetCSV(t *testing.T) {
	m := testModel(t, model.VariantE, 8)
	cfg := scm.DefaultConfig()
	cfg.Nodes, cfg.Samples = 5, 30
	d, err := scm.NewDataset(cfg, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	standard := csvOf(t, d)
	// Blocks of unequal size (PredictDataset batches equal ones; the
	// stream runs each alone: the answers must not differ).
	d.Blocks[1].Data = d.Blocks[1].Data[:12*5]
	d.Blocks[2].Data = d.Blocks[2].Data[:3*5]
	unequal := csvOf(t, d)
	// A block over streamBatchBytes between small ones (it runs alone,
	// the small ones around it in batches), and more equal blocks than
	// MaxBatch.
	big := synthDataset(55000, []int{30, 55000, 30, 30})
	many := synthDataset(40, slices.Repeat([]int{6}, MaxBatch+6))
	header := "a,b,c,intervened\n"
	for _, tc := range []struct {
		name  string
		csv   string
		opens int // calls of open
	}{
		{"observational rows first", standard, 1},
		{"blocks of unequal sizes", unequal, 1},
		{"a block larger than a batch", csvOf(t, big), 1},
		{"more blocks than MaxBatch", csvOf(t, many), 1},
		{"observational rows after blocks", obsLast(t, standard), 2},
		{"one observational row before the blocks", header + "1,2,3,\n5,1,2,a\n5,2,1,a\n2,3,1,\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole, err := scm.ReadCSV(strings.NewReader(tc.csv))
			if err != nil {
				t.Fatal(err)
			}
			want, err := PredictDataset(context.Background(), m, whole, 0.3)
			if err != nil {
				t.Fatal(err)
			}
			calls := 0
			got, st, err := PredictDatasetCSV(context.Background(), m, opener(tc.csv, &calls, 0, ""), 0.3)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("streamed result differs from PredictDataset's:\n%+v\n%+v", got, want)
			}
			rows := whole.ObsRows()
			for _, b := range whole.Blocks {
				rows += b.Rows(whole.N())
			}
			if calls != tc.opens || st != (CSVStats{Rows: rows, ObsRows: whole.ObsRows(), Blocks: len(whole.Blocks)}) {
				t.Errorf("open called %d times (want %d), stats %+v", calls, tc.opens, st)
			}
		})
	}

	obs := "1,2,3,\n2,3,4,\n1.5,2,3.5,\n"
	for _, tc := range []struct {
		name, csv, changed, want string
	}{
		{"header only", header, "", "no data rows"},
		{"no observational rows", header + "5,2,3,a\n5,3,4,a\n", "", "data has no observational rows"},
		{"one observational row", header + "5,2,3,a\n5,3,4,a\n1,2,3,\n", "", "data has 1 observational row; need at least 2"},
		{"no blocks", header + obs, "", "no interventional rows"},
		{"a block of one row", header + obs + "5,2,3,a\n", "", "block 0 (do(a = 5)) has 1 row; need at least 2"},
		{"a ragged line after a block ran", header + obs + "5,2,3,a\n5,3,4,a\n1,2\n", "", "line 7 has 2 fields, the header has 4"},
		{"too many variables", "a,b,c,d,e,f,g,h,i,intervened\n", "", "data has 9 variables; model model-e supports at most max_nodes=8"},
		{"changed before the second reading", header + "5,2,3,a\n5,3,4,a\n" + obs, header + obs + obs + "5,2,3,a\n5,3,4,a\n", "changed between its two readings"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			_, _, err := PredictDatasetCSV(context.Background(), m, opener(tc.csv, &calls, 1, tc.changed), 0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestPredictDataCSV: the data-set model's prediction from a data.csv
// equals PredictData on the same data set, whatever the order of its
// rows, and data without observational rows or with too many variables
// are refused.
func TestPredictDataCSV(t *testing.T) {
	c := modeltest.SmallDataSetConfig()
	m := onnxrttest.MustModel(t, c, 1, export.Metadata{Version: "test", Name: "model-f"})
	cfg := scm.DefaultConfig()
	cfg.Nodes, cfg.Samples = 5, 20
	d, err := scm.NewDataset(cfg, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	standard := csvOf(t, d)
	dos := []Do{{Variable: Node{Index: 1}, Value: 2}}
	threshold := 0.2
	for _, csv := range []string{standard, obsLast(t, standard)} {
		whole, err := scm.ReadCSV(strings.NewReader(csv))
		if err != nil {
			t.Fatal(err)
		}
		want, err := PredictData(context.Background(), m, &DataRequest{Data: FromDataset(whole), Do: dos, Threshold: &threshold, DAG: true})
		if err != nil {
			t.Fatal(err)
		}
		got, st, err := PredictDataCSV(context.Background(), m, strings.NewReader(csv), dos, threshold, true)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("result from the CSV differs from PredictData's:\n%+v\n%+v", got, want)
		}
		if st.ObsRows != whole.ObsRows() || st.Blocks != len(whole.Blocks) || st.Rows != whole.ObsRows()+len(whole.Blocks)*20 {
			t.Errorf("stats %+v for %d observational rows and %d blocks of 20", st, whole.ObsRows(), len(whole.Blocks))
		}
	}
	for _, tc := range []struct{ csv, want string }{
		{"a,b,intervened\n5,2,a\n5,3,a\n", "no observational rows"},
		{"a,b,intervened\n", "no data rows"},
		{"a,b,intervened\n1,2,\n", "data has 1 row"},
		{strings.Join(scm.VariableNames(m.MaxNodes()+1), ",") + ",intervened\n", fmt.Sprintf("data has %d variables; model model-f supports at most max_nodes=%d", m.MaxNodes()+1, m.MaxNodes())},
	} {
		if _, _, err := PredictDataCSV(context.Background(), m, strings.NewReader(tc.csv), nil, 0.5, false); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.csv, err, tc.want)
		}
	}
}
