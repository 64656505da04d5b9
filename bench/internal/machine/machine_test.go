package machine

import (
	"runtime"
	"strings"
	"testing"
)

func TestCPU(t *testing.T) {
	got := CPU()
	if !strings.Contains(got, "gemm paths [go") {
		t.Errorf("CPU() = %q: want the gemm paths, starting with go", got)
	}
	if name := modelName(); name == "" || !strings.HasPrefix(got, name+" (") {
		t.Errorf("CPU() = %q, model name %q: want the name first", got, name)
	}
	if runtime.GOOS == "linux" && modelName() == runtime.GOARCH {
		t.Logf("no model name in /proc/cpuinfo; CPU() falls back to %s", runtime.GOARCH)
	}
}

func ExampleCPU() {
	_ = CPU() // e.g. "AMD EPYC (gemm paths [go avx2 avx512])"
}
