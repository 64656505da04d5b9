package cli

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"causeway/model"
)

// writeBlocksCSV writes a data.csv of n variables: obsRows observational
// rows, then blocks interventional blocks of blockRows rows each.
func writeBlocksCSV(t *testing.T, path string, n, obsRows, blocks, blockRows int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for j := range n {
		fmt.Fprintf(w, "x%d,", j)
	}
	w.WriteString("intervened\n")
	rng := rand.New(rand.NewPCG(1, 2))
	var line []byte
	row := func(node int, value float64) {
		line = line[:0]
		for j := range n {
			v := rng.NormFloat64() + float64(j)
			if j == node {
				v = value
			}
			line = strconv.AppendFloat(line, v, 'g', 6, 32)
			line = append(line, ',')
		}
		if node >= 0 {
			line = fmt.Appendf(line, "x%d", node)
		}
		w.Write(append(line, '\n'))
	}
	for range obsRows {
		row(-1, 0)
	}
	for b := range blocks {
		for range blockRows {
			row(b%n, float64(b/n)+1)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// heapWatcher is a reader that, every step bytes, collects the garbage and
// records the live heap, from the reading goroutine itself: each sample is
// taken at a point where the program holds only what it keeps.
type heapWatcher struct {
	io.ReadCloser
	read, next, step int64
	samples          []heapSample
}

type heapSample struct {
	read int64  // bytes of the file read
	live uint64 // live heap
}

func (w *heapWatcher) Read(p []byte) (int, error) {
	n, err := w.ReadCloser.Read(p)
	if w.read += int64(n); w.read >= w.next {
		w.next += w.step
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		w.samples = append(w.samples, heapSample{w.read, ms.HeapAlloc})
	}
	return n, err
}

// TestPredictDataMemoryBounded runs `causeway predict --data` with a
// sample-pair model on 200,000 rows of N=5 (1,000 observational rows, then
// 20 blocks of 9,950 rows; a 7.2 MiB file) and records the live heap every
// 256 KiB read. After the first MiB (the observational rows and one block
// are in, 220 kB as float32, and the 2 MiB of the stream's batch buffers)
// the live heap may not grow with the rows read: holding them adds 20 bytes a row, 3.4 MiB over the remaining
// 170,000 rows (measured with the stream made to keep its blocks). What
// does grow is the answer, one block prediction (about 2 kB) per block,
// 40 kB in all; the samples of the stream vary by less than 0.2 MiB. The
// tolerance, 512 KiB, is a seventh of what holding the rows adds.
func TestPredictDataMemoryBounded(t *testing.T) {
	dir := t.TempDir()
	modelPath := writeTestModel(t, dir, model.VariantA, 10)
	data := filepath.Join(dir, "data.csv")
	writeBlocksCSV(t, data, 5, 1000, 20, 9950)
	var watched []*heapWatcher
	saved := openData
	defer func() { openData = saved }()
	openData = func(path string) (io.ReadCloser, error) {
		f, err := saved(path)
		if err != nil {
			return nil, err
		}
		w := &heapWatcher{ReadCloser: f, next: 1 << 20, step: 256 << 10}
		watched = append(watched, w)
		return w, nil
	}
	out := filepath.Join(dir, "out.json")
	if _, err := runApp("predict", "--model", modelPath, "--data", data, "--output", out); err != nil {
		t.Fatal(err)
	}
	if len(watched) != 1 {
		t.Fatalf("the file was opened %d times, want once (its observational rows come first)", len(watched))
	}
	s := watched[0].samples
	if len(s) < 20 {
		t.Fatalf("%d heap samples: the file was not read as expected", len(s))
	}
	first, peak := s[0], s[0]
	for _, x := range s {
		if x.live > peak.live {
			peak = x
		}
	}
	growth := int64(peak.live) - int64(first.live)
	t.Logf("live heap %.2f MiB after %.1f MiB read, at most %.2f MiB (after %.1f MiB) over %d samples to %.1f MiB",
		float64(first.live)/(1<<20), float64(first.read)/(1<<20), float64(peak.live)/(1<<20), float64(peak.read)/(1<<20), len(s), float64(s[len(s)-1].read)/(1<<20))
	if growth > 512<<10 {
		t.Errorf("the live heap grew by %.2f MiB while the last %.1f MiB of rows were read; want at most 512 KiB (the rows must not be held)",
			float64(growth)/(1<<20), float64(s[len(s)-1].read-first.read)/(1<<20))
	}
}
