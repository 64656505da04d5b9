// Package progress reports the progress of long work, such as training steps
// or data generation, on a terminal or in a log.
//
// On a terminal a Reporter redraws one line in place, at most ten times a
// second, with a bar, the count, the rate, the estimated time left and a
// free-form status:
//
//	train [=========>          ]  45% 1350/3000 3.21 it/s ETA 8m34s loss 3.21
//
// Anywhere else (a file, a pipe, CI logs) it prints a plain line at most once
// per interval (10 s by default) and a last line from Done:
//
//	train 1350/3000 (45%) 3.21 it/s elapsed 7m00s ETA 8m34s loss 3.21
//	train done: 3000/3000 in 15m34s, 3.21 it/s, loss 2.10
//
// Output happens only inside calls to New, Add, Set and Done; no
// goroutine runs in the background. Errors writing to the output are
// ignored: progress output is best effort.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

const (
	// DefaultInterval is how often a Reporter that is not on a terminal
	// prints a line.
	DefaultInterval = 10 * time.Second
	// redrawInterval is the shortest time between terminal redraws.
	redrawInterval = 100 * time.Millisecond
	barWidth       = 20
)

// Reporter reports the progress of one piece of work. Its methods are safe
// for concurrent use.
type Reporter struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	total    int
	now      func() time.Time
	tty      bool
	interval time.Duration

	start  time.Time
	base   int // count at start, excluded from the rate
	count  int
	status string
	last   time.Time // time of the last output
	width  int       // runes in the last terminal line
	done   bool
}

// Option configures a Reporter.
type Option func(*Reporter)

// WithClock makes the Reporter read the time from now instead of time.Now,
// so tests can control the rate and the estimated time left.
func WithClock(now func() time.Time) Option {
	return func(r *Reporter) { r.now = now }
}

// WithInterval sets how often a Reporter that is not on a terminal prints a
// line (DefaultInterval if not given). It has no effect on a terminal.
func WithInterval(d time.Duration) Option {
	return func(r *Reporter) { r.interval = d }
}

// WithTerminal overrides the detection of a terminal: true redraws one line
// in place, false prints plain lines.
func WithTerminal(tty bool) Option {
	return func(r *Reporter) { r.tty = tty }
}

// WithStart starts the count at n instead of 0, for work that resumes part
// way through (such as training resumed from a checkpoint). The n items
// already done count towards progress but not towards the rate.
func WithStart(n int) Option {
	return func(r *Reporter) { r.base, r.count = n, n }
}

// New returns a Reporter writing to w for work of total items (total <= 0
// means unknown: no bar, percentage or ETA). The label starts every line. A
// nil w discards the output.
// Whether w is a terminal is detected from w being an *os.File on a character
// device; WithTerminal overrides it. On a terminal New draws the line at once.
func New(w io.Writer, total int, label string, opts ...Option) *Reporter {
	if w == nil {
		w = io.Discard
	}
	r := &Reporter{
		w:        w,
		label:    label,
		total:    total,
		now:      time.Now,
		tty:      isTerminal(w),
		interval: DefaultInterval,
	}
	for _, o := range opts {
		o(r)
	}
	r.start = r.now()
	r.last = r.start
	if r.tty {
		r.draw(r.start, false)
	}
	return r
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Add records n more items done.
func (r *Reporter) Add(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.count += n
	r.maybeDraw()
}

// Set records that i items are done in all.
func (r *Reporter) Set(i int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.count = i
	r.maybeDraw()
}

// SetStatus sets the text shown at the end of the line, such as
// "loss 3.21". Line breaks in s are shown as spaces. SetStatus writes
// nothing itself: the status appears with the next line that Add, Set or
// Done writes, so set the status of a step before adding the step.
func (r *Reporter) SetStatus(s string) {
	s = strings.Map(func(c rune) rune {
		if c == '\n' || c == '\r' {
			return ' '
		}
		return c
	}, s)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.status = s
}

// Done writes the final line: on a terminal the last redraw followed by a
// newline, elsewhere a summary line with the count, the time taken and the
// rate. Calls after the first, and Add, Set and SetStatus after Done, do
// nothing.
func (r *Reporter) Done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	now := r.now()
	if r.tty {
		r.draw(now, true)
		io.WriteString(r.w, "\n")
		return
	}
	elapsed := now.Sub(r.start)
	var b strings.Builder
	fmt.Fprintf(&b, "%s done: %s in %s, %s", r.label, r.countText(), formatDuration(elapsed), formatRate(r.rate(elapsed)))
	if r.status != "" {
		b.WriteString(", ")
		b.WriteString(r.status)
	}
	b.WriteByte('\n')
	io.WriteString(r.w, strings.TrimPrefix(b.String(), " "))
}

// maybeDraw writes a line if enough time has passed since the last one.
// The caller holds r.mu.
func (r *Reporter) maybeDraw() {
	now := r.now()
	if r.tty {
		if now.Sub(r.last) >= redrawInterval {
			r.draw(now, false)
		}
		return
	}
	if now.Sub(r.last) >= r.interval {
		r.plain(now)
	}
}

// rate returns items per second since the start, or 0 if unknown.
func (r *Reporter) rate(elapsed time.Duration) float64 {
	if elapsed <= 0 || r.count <= r.base {
		return 0
	}
	return float64(r.count-r.base) / elapsed.Seconds()
}

// eta returns the estimated time left as text.
func (r *Reporter) eta(rate float64) string {
	if r.count >= r.total {
		return "0s"
	}
	if rate <= 0 {
		return "?"
	}
	return formatDuration(time.Duration(float64(r.total-r.count) / rate * float64(time.Second)))
}

func (r *Reporter) countText() string {
	if r.total > 0 {
		return fmt.Sprintf("%d/%d", r.count, r.total)
	}
	return fmt.Sprint(r.count)
}

func (r *Reporter) percent() int {
	return min(max(r.count*100/r.total, 0), 100)
}

// draw redraws the terminal line. The caller holds r.mu.
func (r *Reporter) draw(now time.Time, final bool) {
	r.last = now
	elapsed := now.Sub(r.start)
	rate := r.rate(elapsed)
	var b strings.Builder
	b.WriteString(r.label)
	if r.total > 0 {
		filled := min(max(r.count*barWidth/r.total, 0), barWidth)
		b.WriteString(" [")
		b.WriteString(strings.Repeat("=", filled))
		if filled < barWidth {
			b.WriteByte('>')
			b.WriteString(strings.Repeat(" ", barWidth-filled-1))
		}
		fmt.Fprintf(&b, "] %3d%%", r.percent())
	}
	fmt.Fprintf(&b, " %s %s", r.countText(), formatRate(rate))
	switch {
	case final || r.total <= 0:
		fmt.Fprintf(&b, " %s", formatDuration(elapsed))
	default:
		fmt.Fprintf(&b, " ETA %s", r.eta(rate))
	}
	if r.status != "" {
		b.WriteByte(' ')
		b.WriteString(r.status)
	}
	line := strings.TrimPrefix(b.String(), " ") // no label
	n := utf8.RuneCountInString(line)
	pad := max(r.width-n, 0)
	r.width = n
	text := "\r" + line + strings.Repeat(" ", pad)
	if final {
		line = "" // forgotten once drawn: nothing to redraw after Done
	}
	drawLine(r.w, text, line)
}

// plain prints a log line. The caller holds r.mu.
func (r *Reporter) plain(now time.Time) {
	r.last = now
	elapsed := now.Sub(r.start)
	rate := r.rate(elapsed)
	var b strings.Builder
	b.WriteString(r.label)
	b.WriteByte(' ')
	b.WriteString(r.countText())
	if r.total > 0 {
		fmt.Fprintf(&b, " (%d%%)", r.percent())
	}
	fmt.Fprintf(&b, " %s elapsed %s", formatRate(rate), formatDuration(elapsed))
	if r.total > 0 {
		fmt.Fprintf(&b, " ETA %s", r.eta(rate))
	}
	if r.status != "" {
		b.WriteByte(' ')
		b.WriteString(r.status)
	}
	b.WriteByte('\n')
	io.WriteString(r.w, strings.TrimPrefix(b.String(), " "))
}

// formatRate formats items per second: "123 it/s", "12.3 it/s", "1.23 it/s",
// or seconds per item below one item a second ("4.05 s/it"); "? it/s" when
// unknown.
func formatRate(perSec float64) string {
	switch {
	case perSec <= 0:
		return "? it/s"
	case perSec >= 100:
		return fmt.Sprintf("%.0f it/s", perSec)
	case perSec >= 10:
		return fmt.Sprintf("%.1f it/s", perSec)
	case perSec >= 1:
		return fmt.Sprintf("%.2f it/s", perSec)
	}
	return fmt.Sprintf("%.2f s/it", 1/perSec)
}

// formatDuration formats d rounded to the second: "42s", "7m05s",
// "1h07m05s".
func formatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s < 0 {
		s = 0
	}
	h, m := s/3600, s/60%60
	s %= 60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh%02dm%02ds", h, m, s)
	case m > 0:
		return fmt.Sprintf("%dm%02ds", m, s)
	}
	return fmt.Sprintf("%ds", s)
}
