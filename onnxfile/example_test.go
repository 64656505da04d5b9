package onnxfile_test

import (
	"fmt"

	"causeway/onnxfile"
)

func ExampleCheckName() {
	fmt.Println(onnxfile.CheckName("model-f"))
	fmt.Println(onnxfile.CheckName("../etc"))
	// Output:
	// <nil>
	// model name "../etc": use letters, digits, '.', '_' and '-', starting with a letter or digit
}
