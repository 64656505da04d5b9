package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"causeway/onnxrt"
	"causeway/scm"
)

// CSVStats describes the data.csv a streaming prediction read.
type CSVStats struct {
	// Rows counts the data rows and ObsRows the observational ones.
	Rows, ObsRows int
	// Blocks counts the interventional blocks (runs of rows with the same
	// intervened variable and value, as scm.ReadCSV groups them).
	Blocks int
}

// errChanged is the error of a data.csv whose second reading differs from
// its first.
var errChanged = errors.New("the data changed between its two readings")

// PredictDatasetCSV is PredictDataset on a data.csv (the layout of
// scm.ReadCSV) read as a stream, with the same result: it holds the
// observational rows and one interventional block at a time, and runs the
// blocks as their last rows are read (consecutive small blocks of one size
// together, in a batch of at most 1 MiB of rows; a larger block alone).
//
// open returns a reader of the file from its start. It is called once
// when the observational rows all come before the first interventional
// row (as `causeway scm` writes them); when one comes after, the
// observational mean is known only at the end, so the blocks run in a
// second reading (a second call of open), which must see the same data.
// threshold ≤ 0 means DefaultThreshold. Errors name the first problem in
// file order: a malformed line, a block too small, or (at the end) too
// few observational rows or no blocks.
func PredictDatasetCSV(ctx context.Context, m *onnxrt.Model, open func() (io.ReadCloser, error), threshold float64) (*DatasetResult, CSVStats, error) {
	var st CSVStats
	threshold, err := checkThreshold(threshold)
	if err != nil {
		return nil, st, err
	}
	if m.DataSet() {
		return nil, st, fmt.Errorf("model %s is a data-set model (Model %s): use PredictDataCSV", m.Name(), m.Config().Variant)
	}
	var (
		names  []string
		obs    []float32
		p      *blockPredictor
		replay bool // the blocks must run in a second reading
	)
	err = scanFile(open, func(cr *scm.CSVReader) error {
		names = cr.Names()
		if err := checkVariables(m, len(names)); err != nil {
			return err
		}
		st.Rows, err = scm.ScanCSV(cr, func(row []float32) error {
			if st.Blocks > 0 {
				replay = true // an observational row after a block
			}
			obs = append(obs, row...)
			st.ObsRows++
			return nil
		}, func(b scm.Block) error {
			k := st.Blocks
			st.Blocks++
			if replay {
				return nil
			}
			if p == nil {
				if st.ObsRows < 2 {
					replay = true // perhaps more observational rows follow
					return nil
				}
				var err error
				if p, err = newBlockPredictor(m, names, obs, threshold); err != nil {
					return err
				}
			}
			return p.run(ctx, k, b)
		})
		return err
	})
	if err != nil {
		return nil, st, err
	}
	if st.Rows == 0 {
		return nil, st, scm.ErrNoRows
	}
	if !replay && p == nil { // no block ran: none, or too few observational rows
		if _, err := newBlockPredictor(m, names, obs, threshold); err != nil {
			return nil, st, err
		}
		return nil, st, errNoBlocks
	}
	if !replay {
		if err := p.flush(ctx); err != nil {
			return nil, st, err
		}
		return p.result(), st, nil
	}
	if p, err = newBlockPredictor(m, names, obs, threshold); err != nil {
		return nil, st, err
	}
	obsRows, blocks := 0, 0
	err = scanFile(open, func(cr *scm.CSVReader) error {
		if !slices.Equal(cr.Names(), names) {
			return errChanged
		}
		_, err := scm.ScanCSV(cr, func([]float32) error {
			obsRows++
			return nil
		}, func(b scm.Block) error {
			blocks++
			return p.run(ctx, blocks-1, b)
		})
		return err
	})
	if err != nil {
		return nil, st, err
	}
	if obsRows != st.ObsRows || blocks != st.Blocks {
		return nil, st, errChanged
	}
	if err := p.flush(ctx); err != nil {
		return nil, st, err
	}
	return p.result(), st, nil
}

// PredictDataCSV is PredictData on a data.csv (the layout of scm.ReadCSV)
// read in one pass: the data-set model reads every row jointly, so it
// holds the whole data set, but only as the contract's two tensors
// samples and intervened [R·N] (8 bytes a value; the rows in the order of
// scm.Dataset.Regimes, observational first), plus sums for the effects it
// answers (at most MaxDo + MaxDataEffects). dos, threshold and dag are as
// in a DataRequest. Data without observational rows are refused (as
// scm.ReadCSV refuses them).
func PredictDataCSV(ctx context.Context, m *onnxrt.Model, r io.Reader, dos []Do, threshold float64, dag bool) (*DataResponse, CSVStats, error) {
	var st CSVStats
	if !m.DataSet() {
		return nil, st, fmt.Errorf("model %s (Model %s) takes sample pairs, not a data set: use PredictDatasetCSV", m.Name(), m.Config().Variant)
	}
	if !(threshold > 0 && threshold < 1) {
		return nil, st, fmt.Errorf("threshold %g: want a probability in (0, 1)", threshold)
	}
	cr, err := scm.NewCSVReader(r)
	if err != nil {
		return nil, st, err
	}
	names := cr.Names()
	n := len(names)
	if n > m.MaxNodes() {
		return nil, st, fmt.Errorf("data has %d variables; model %s supports at most max_nodes=%d", n, m.Name(), m.MaxNodes())
	}
	var samples, intervened []float32
	interleaved := false // an observational row after an interventional one
	st.Rows, err = scm.ScanCSV(cr, func(row []float32) error {
		interleaved = interleaved || st.Blocks > 0
		samples = append(samples, row...)
		intervened = append(intervened, make([]float32, n)...)
		st.ObsRows++
		return nil
	}, func(b scm.Block) error {
		st.Blocks++
		start := len(intervened)
		samples = append(samples, b.Data...)
		intervened = append(intervened, make([]float32, len(b.Data))...)
		for i := start; i < len(intervened); i += n {
			intervened[i+b.Node] = 1
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, st, err
	case st.Rows == 0:
		return nil, st, scm.ErrNoRows
	case st.ObsRows == 0:
		return nil, st, fmt.Errorf("data has no observational rows (rows with an empty %q field)", scm.IntervenedColumn)
	case st.Rows < 2:
		return nil, st, fmt.Errorf("data has %d row; the statistics need at least 2", st.Rows)
	}
	if interleaved {
		observationalFirst(samples, intervened, n)
	}
	res, err := predictData(ctx, m, samples, intervened, names, dos, threshold, dag)
	return res, st, err
}

// observationalFirst reorders the rows of samples and intervened [R·N] in
// place, observational rows (no 1 in intervened) first, each group in its
// order. It copies only the interventional rows.
func observationalFirst(samples, intervened []float32, n int) {
	var intS, intI []float32
	w := 0
	for i := 0; i < len(samples); i += n {
		if slices.Contains(intervened[i:i+n], 1) {
			intS = append(intS, samples[i:i+n]...)
			intI = append(intI, intervened[i:i+n]...)
			continue
		}
		copy(samples[w:], samples[i:i+n])
		copy(intervened[w:], intervened[i:i+n])
		w += n
	}
	copy(samples[w:], intS)
	copy(intervened[w:], intI)
}

// scanFile opens a data.csv, reads its header and hands it to scan.
func scanFile(open func() (io.ReadCloser, error), scan func(*scm.CSVReader) error) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	cr, err := scm.NewCSVReader(rc)
	if err != nil {
		return err
	}
	return scan(cr)
}
