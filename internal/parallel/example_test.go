package parallel_test

import (
	"fmt"

	"causeway/internal/parallel"
)

// Each task writes its own part of the result, so the sum is the same
// however many workers take part.
func ExampleRun() {
	squares := make([]int, 8)
	parallel.Run(4, len(squares), func(i int) { squares[i] = i * i })
	fmt.Println(squares)
	// Output: [0 1 4 9 16 25 36 49]
}
