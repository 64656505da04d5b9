package progress_test

import (
	"fmt"
	"os"
	"time"

	"causeway/progress"
)

func ExampleNew() {
	// A fake clock makes the output reproducible; real code omits WithClock.
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }

	// os.Stdout is not a terminal when examples run, so plain lines appear,
	// one per interval and one from Done.
	p := progress.New(os.Stdout, 3000, "train", progress.WithClock(clock), progress.WithInterval(time.Minute))
	for step := 1; step <= 300; step++ {
		now = now.Add(300 * time.Millisecond) // one training step
		p.SetStatus(fmt.Sprintf("loss %.2f", 3.5-float64(step)/200))
		p.Add(1)
	}
	p.Done()
	// Output:
	// train 200/3000 (6%) 3.33 it/s elapsed 1m00s ETA 14m00s loss 2.50
	// train done: 300/3000 in 1m30s, 3.33 it/s, loss 2.00
}

func ExampleBeside() {
	// Log lines through Beside(os.Stderr) never print over a progress line
	// a Reporter draws on os.Stderr; where no line is drawn (as here, on
	// standard output) they pass straight through.
	log := progress.Beside(os.Stdout)
	fmt.Fprintln(log, "level=INFO msg=validation step=500")
	// Output: level=INFO msg=validation step=500
}
