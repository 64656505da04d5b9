package onnxrttest_test

import (
	"fmt"
	"log"

	"causeway/model"
	"causeway/onnxrt/onnxrttest"
)

// Example loads a small, freshly initialised Model F in the executor.
func Example() {
	m, err := onnxrttest.Small(model.VariantF)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Name(), m.DataSet())
	// Output: model-f true
}
