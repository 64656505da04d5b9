package gemm

import (
	"strings"
	"testing"
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
