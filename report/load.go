package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"

	"causeway/metrics"
	"causeway/train"
)

// maxLogLine bounds one line of log.jsonl (a validation report is a few
// hundred bytes).
const maxLogLine = 1 << 20

// Run is one finished training run as read from its directory.
type Run struct {
	// Name identifies the run in legends and tables: the base name of its
	// directory, unless Write has to tell two runs of the same base name
	// apart.
	Name string
	// Dir is the run directory as given to Load.
	Dir string
	// Summary is the run's summary.json.
	Summary train.Summary
	// Val holds the held-out validations of log.jsonl in step order.
	Val []ValPoint
	// Train holds the logged training steps of log.jsonl in step order.
	Train []TrainPoint
}

// ValPoint is one held-out validation of a run.
type ValPoint struct {
	Step    int
	Elapsed float64 // seconds since the run (or its last resume) began
	Report  metrics.Report
}

// TrainPoint is one logged training step of a run.
type TrainPoint struct {
	Step    int
	Elapsed float64 // seconds since the run (or its last resume) began
	Loss    train.LossParts
}

// Label is the run's legend entry, e.g. "Model A (run-a)".
func (r *Run) Label() string {
	return fmt.Sprintf("Model %s (%s)", r.Summary.Variant, r.Name)
}

// Load reads the run in dir: its log.jsonl and summary.json. A missing or
// unreadable file, a log line that is not a log entry, and a summary that is
// not one are errors naming the file (and the line).
func Load(dir string) (*Run, error) {
	r := &Run{Name: filepath.Base(filepath.Clean(dir)), Dir: dir}
	if err := r.loadSummary(filepath.Join(dir, train.SummaryFile)); err != nil {
		return nil, err
	}
	if err := r.loadLog(filepath.Join(dir, train.LogFile)); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Run) loadSummary(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, lerr := os.Stat(filepath.Join(filepath.Dir(path), train.LogFile)); lerr == nil {
			return fmt.Errorf("report: %s does not exist: the run has not finished (it is still training, or was interrupted: continue it with `causeway train --resume`)", path)
		}
		return fmt.Errorf("report: %s does not exist: is %s a run directory written by `causeway train`?", path, filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&r.Summary); err != nil {
		return fmt.Errorf("report: %s: %w", position(path, data, err), err)
	}
	if r.Summary.Variant == "" || r.Summary.Steps <= 0 {
		return fmt.Errorf("report: %s: not a training summary (no variant or no steps)", path)
	}
	if r.Summary.Final == nil && r.Summary.FinalDataSet != nil {
		rep := graphReport(r.Summary.FinalDataSet)
		r.Summary.Final = &rep
	}
	return nil
}

// graphReport is a data-set model's validation as a metrics.Report: its
// graph scores, with the delta metrics (which it has not) undefined.
func graphReport(d *train.DataSetReport) metrics.Report {
	rep := d.Graph
	nan := math.NaN()
	rep.Delta = metrics.Delta{MSE: nan, Huber: nan}
	rep.MeanShift = metrics.Delta{MSE: nan, Huber: nan}
	return rep
}

// position names path with the line of a JSON decoding error, when the
// error tells where it is.
func position(path string, data []byte, err error) string {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		off = int64(len(data))
	}
	if off < 0 {
		return path
	}
	off = min(off, int64(len(data)))
	return fmt.Sprintf("%s:%d", path, 1+bytes.Count(data[:off], []byte{'\n'}))
}

func (r *Run) loadLog(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("report: %s does not exist: is %s a run directory written by `causeway train`?", path, filepath.Dir(path))
		}
		return fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), maxLogLine)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var e train.LogEntry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("report: %s:%d: not a log entry: %w", path, line, err)
		}
		switch e.Kind {
		case "val":
			switch {
			case e.Val != nil:
				r.Val = append(r.Val, ValPoint{Step: e.Step, Elapsed: e.Elapsed, Report: *e.Val})
			case e.ValDataSet != nil:
				r.Val = append(r.Val, ValPoint{Step: e.Step, Elapsed: e.Elapsed, Report: graphReport(e.ValDataSet)})
			default:
				return fmt.Errorf("report: %s:%d: validation entry without \"val\"", path, line)
			}
		case "train":
			if e.Loss == nil {
				return fmt.Errorf("report: %s:%d: training entry without \"loss\"", path, line)
			}
			r.Train = append(r.Train, TrainPoint{Step: e.Step, Elapsed: e.Elapsed, Loss: *e.Loss})
		case "":
			return fmt.Errorf("report: %s:%d: not a log entry: no \"kind\"", path, line)
		default:
			// A kind from a later version: not plotted.
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("report: %s:%d: line longer than %d bytes", path, line+1, maxLogLine)
		}
		return fmt.Errorf("report: %s: %w", path, err)
	}
	// Resumed runs log in step order already; sorting guards the curves
	// against a log assembled by hand.
	sort.SliceStable(r.Val, func(i, j int) bool { return r.Val[i].Step < r.Val[j].Step })
	sort.SliceStable(r.Train, func(i, j int) bool { return r.Train[i].Step < r.Train[j].Step })
	return nil
}
