// Package machine describes the computer a benchmark ran on, for the line
// every benchmark table carries: these machines are shared and not always
// the same CPU, so a figure means little without it.
package machine

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"causeway/internal/gemm"
)

// CPU returns the CPU's model name (from /proc/cpuinfo; GOARCH where there
// is none) and the gemm kernel paths it supports, e.g.
// "AMD EPYC (gemm paths [go avx2 avx512])".
func CPU() string {
	return fmt.Sprintf("%s (gemm paths %v)", modelName(), gemm.Paths())
}

func modelName() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}
