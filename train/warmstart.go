package train

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"causeway/model"
)

// warmStartFree are the model settings a warm start may change: Model F's
// statistics version and triangle width (the appended inputs and new
// layers WarmStart handles) and the training-only dropout.
var warmStartFree = []string{"stats", "triangle", "dropout"}

// CheckWarmStart reports whether a run of architecture run can start from a
// checkpoint of architecture stored: every setting must match except those
// in warmStartFree (a wider model or another number of layers would be
// padded or cut, not continued).
func CheckWarmStart(stored, run model.Config) error {
	fields := func(c model.Config) map[string]any {
		var m map[string]any
		b, _ := json.Marshal(c)
		_ = json.Unmarshal(b, &m)
		return m
	}
	a, b := fields(stored), fields(run)
	var differ []string
	for k := range a {
		if !slices.Contains(warmStartFree, k) && fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
			differ = append(differ, fmt.Sprintf("%s %v → %v", k, a[k], b[k]))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && !slices.Contains(warmStartFree, k) {
			differ = append(differ, fmt.Sprintf("%s (none) → %v", k, b[k]))
		}
	}
	if len(differ) > 0 {
		sort.Strings(differ)
		return fmt.Errorf("the run's architecture differs from the checkpoint's beyond %s: %s", strings.Join(warmStartFree, ", "), strings.Join(differ, "; "))
	}
	return nil
}

// WarmStart copies a stored model's parameters into params, the fresh
// parameters of a run's own architecture: a parameter of the same name and
// shape is copied; one that grew (same rank, no dimension smaller) takes the
// stored values in its leading block and zero elsewhere, so inputs that
// were appended (new statistics) start ignored; every other parameter keeps
// its fresh initialisation (a new layer whose output projection starts at
// zero, such as Model F's triangle update, then adds nothing). It returns
// how many were copied whole and how many grew, and refuses a parameter
// that shrank or changed rank.
func WarmStart(params, stored model.Params) (kept, grown int, err error) {
	for name, t := range params {
		s, ok := stored[name]
		if !ok {
			continue
		}
		if len(s.Shape) != len(t.Shape) {
			return 0, 0, fmt.Errorf("parameter %s: stored shape %v, the run's %v", name, s.Shape, t.Shape)
		}
		same := true
		for i := range t.Shape {
			if s.Shape[i] > t.Shape[i] {
				return 0, 0, fmt.Errorf("parameter %s: stored shape %v is larger than the run's %v", name, s.Shape, t.Shape)
			}
			same = same && s.Shape[i] == t.Shape[i]
		}
		if same {
			copy(t.Data, s.Data)
			kept++
			continue
		}
		clear(t.Data)
		copyBlock(t.Data, t.Shape, s.Data, s.Shape)
		grown++
	}
	return kept, grown, nil
}

// copyBlock copies src (shape ss) into the leading block of dst (shape ds,
// every dimension ≥ ss's), both row-major.
func copyBlock(dst []float32, ds []int, src []float32, ss []int) {
	if len(ss) == 0 {
		copy(dst, src)
		return
	}
	if len(ss) == 1 {
		copy(dst, src[:ss[0]])
		return
	}
	dStride, sStride := len(dst)/ds[0], len(src)/max(ss[0], 1)
	for i := range ss[0] {
		copyBlock(dst[i*dStride:(i+1)*dStride], ds[1:], src[i*sStride:(i+1)*sStride], ss[1:])
	}
}
