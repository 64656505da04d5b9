//go:build !race

package onnxrt

const raceEnabled = false
