package report

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"causeway/atomicfile"
)

// ReadmeFile is the file name of the comparison's table in Write's output
// directory.
const ReadmeFile = "README.md"

// Write writes the comparison of runs to outDir (created if missing): the
// plots of SHD, delta MSE and AUROC against steps, the training loss, and
// README.md with the table of final metrics. It returns the paths written,
// README.md last. Runs keep their order; runs whose names collide are
// renamed to their directories (Write changes copies, not runs).
func Write(outDir string, runs []*Run) ([]string, error) {
	if len(runs) == 0 {
		return nil, errors.New("report: no runs to compare")
	}
	runs = uniqueNames(runs)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var written []string
	for _, m := range []Metric{SHD, DeltaMSE, AUROC} {
		path := filepath.Join(outDir, m.File)
		if err := Plot(runs, m, path); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	path := filepath.Join(outDir, LossFile)
	if err := PlotLoss(runs, path); err != nil {
		return written, err
	}
	written = append(written, path)
	path = filepath.Join(outDir, ReadmeFile)
	if err := atomicfile.WriteFile(path, Markdown(runs), 0o644); err != nil {
		return written, fmt.Errorf("report: %w", err)
	}
	return append(written, path), nil
}

// uniqueNames returns runs with every name distinct: runs whose base names
// collide are named by the shortest tail of their directories that tells
// them apart ("a/run", "b/run"), and numbered should even that not do.
func uniqueNames(runs []*Run) []*Run {
	out := make([]*Run, len(runs))
	for i, r := range runs {
		c := *r
		out[i] = &c
	}
	for depth := 2; ; depth++ {
		count := map[string]int{}
		for _, r := range out {
			count[r.Name]++
		}
		changed := false
		for _, r := range out {
			if count[r.Name] < 2 {
				continue
			}
			if tail := pathTail(r.Dir, depth); tail != r.Name {
				r.Name, changed = tail, true
			}
		}
		if !changed {
			break
		}
	}
	used := map[string]bool{}
	for _, r := range out {
		base := r.Name
		for k := 2; used[r.Name]; k++ {
			r.Name = fmt.Sprintf("%s #%d", base, k)
		}
		used[r.Name] = true
	}
	return out
}

// pathTail is the last n elements of dir, slash-separated.
func pathTail(dir string, n int) string {
	parts := strings.Split(filepath.ToSlash(filepath.Clean(dir)), "/")
	return strings.Join(parts[max(0, len(parts)-n):], "/")
}
