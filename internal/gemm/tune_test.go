package gemm

import (
	"strings"
	"testing"
	"time"
)

// TestBestTunes checks Best's choice between the AVX-512 tile shapes: one
// of the two, named by Tuning with both times, and what ParsePath("best")
// returns (the shapes give the same bits: TestSameBitsEverywhere).
func TestBestTunes(t *testing.T) {
	got, err := ParsePath("BEST")
	if err != nil || got != Best() {
		t.Fatalf("ParsePath(best) = %v, %v; Best() = %v", got, err, Best())
	}
	if !hasAVX512 {
		if Tuning() != "" {
			t.Errorf("Tuning() = %q without AVX-512", Tuning())
		}
		return
	}
	if p := Best(); p != AVX512 && p != AVX512x32 {
		t.Fatalf("Best() = %v on an AVX-512 CPU", p)
	}
	report := Tuning()
	if !strings.HasPrefix(report, Best().String()+":") || !strings.Contains(report, "8×16 tiles") || !strings.Contains(report, "8×32 tiles") {
		t.Errorf("Tuning() = %q", report)
	}
	t.Log(report)
}

// TestChooseTiles checks tune's rule: avx512x32 only when its time is
// under 97% of avx512's.
func TestChooseTiles(t *testing.T) {
	for _, tc := range []struct {
		t16, t32 time.Duration
		want     Path
	}{
		{100, 50, AVX512x32},
		{100, 96, AVX512x32},
		{100, 97, AVX512},
		{100, 100, AVX512},
		{100, 150, AVX512},
	} {
		if got := chooseTiles(tc.t16*time.Microsecond, tc.t32*time.Microsecond); got != tc.want {
			t.Errorf("chooseTiles(%v, %v) = %v, want %v", tc.t16, tc.t32, got, tc.want)
		}
	}
}

// TestEnvPath checks CAUSEWAY_GEMM's values: empty and best leave the
// choice to Best, a path this CPU runs is taken, and an unknown or
// unsupported one is ignored with the reason.
func TestEnvPath(t *testing.T) {
	for _, tc := range []struct {
		s       string
		want    Path
		problem string
	}{
		{"", auto, ""},
		{"best", auto, ""},
		{"BEST", auto, ""},
		{"go", Go, ""},
		{"sse", auto, "unknown kernel path"},
	} {
		got, why := envPath(tc.s)
		if got != tc.want || !strings.Contains(why, tc.problem) || (tc.problem == "") != (why == "") {
			t.Errorf("envPath(%q) = %v, %q; want %v and a problem with %q", tc.s, got, why, tc.want, tc.problem)
		}
	}
	for _, p := range []Path{AVX2, AVX512, AVX512x32, OpenBLAS} {
		got, why := envPath(p.String())
		if Supported(p) && (got != p || why != "") {
			t.Errorf("envPath(%s) = %v, %q on a CPU that has it", p, got, why)
		}
		if !Supported(p) && (got != auto || !strings.Contains(why, "has no "+p.String())) {
			t.Errorf("envPath(%s) = %v, %q on a CPU or build without it", p, got, why)
		}
	}
}
