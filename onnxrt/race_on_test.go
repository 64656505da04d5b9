//go:build race

package onnxrt

// raceEnabled: sync.Pool drops items at random under the race detector.
const raceEnabled = true
