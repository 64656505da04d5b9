package progress

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a fake clock that tests advance by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func lines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestPlain(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	r := New(&buf, 100, "train", WithClock(c.Now))
	if buf.Len() != 0 {
		t.Fatalf("plain New printed %q", buf.String())
	}
	// One item every 500 ms: lines at 10 s and 20 s only.
	for i := 1; i <= 50; i++ {
		c.Advance(500 * time.Millisecond)
		if i == 30 {
			r.SetStatus("loss 3.21")
		}
		r.Add(1)
	}
	r.Done()
	want := []string{
		"train 20/100 (20%) 2.00 it/s elapsed 10s ETA 40s",
		"train 40/100 (40%) 2.00 it/s elapsed 20s ETA 30s loss 3.21",
		"train done: 50/100 in 25s, 2.00 it/s, loss 3.21",
	}
	got := lines(buf.String())
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPlainInterval(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	r := New(&buf, 0, "gen", WithClock(c.Now), WithInterval(time.Minute))
	for range 180 {
		c.Advance(time.Second)
		r.Add(250)
	}
	r.Done()
	want := []string{
		"gen 15000 250 it/s elapsed 1m00s",
		"gen 30000 250 it/s elapsed 2m00s",
		"gen 45000 250 it/s elapsed 3m00s",
		"gen done: 45000 in 3m00s, 250 it/s",
	}
	if got := lines(buf.String()); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTerminal(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	r := New(&buf, 3000, "train", WithClock(c.Now), WithTerminal(true))
	first := buf.String()
	if want := "\rtrain [>                   ]   0% 0/3000 ? it/s ETA ?"; first != want {
		t.Errorf("first draw = %q, want %q", first, want)
	}
	buf.Reset()
	// 3 steps a second for 450 s, status every step: redraws at most every
	// 100 ms, i.e. once per step here.
	for i := 1; i <= 1350; i++ {
		c.Advance(time.Second / 3)
		r.SetStatus("loss 3.21")
		r.Add(1)
	}
	out := buf.String()
	draws := strings.Split(out, "\r")[1:]
	if len(draws) != 1350 {
		t.Errorf("%d redraws for 1350 steps 333 ms apart", len(draws))
	}
	last := draws[len(draws)-1]
	if want := "train [=========>          ]  45% 1350/3000 3.00 it/s ETA 9m10s loss 3.21"; last != want {
		t.Errorf("last draw = %q, want %q", last, want)
	}
	if strings.Contains(out, "\n") {
		t.Error("terminal redraws contain a newline")
	}

	// A shorter line erases the rest of the longer one.
	buf.Reset()
	c.Advance(time.Second)
	r.SetStatus("")
	r.Add(0)
	if got := buf.String(); !strings.HasSuffix(got, strings.Repeat(" ", len(" loss 3.21"))) {
		t.Errorf("shorter redraw %q does not pad over the old status", got)
	}

	buf.Reset()
	c.Advance(time.Second)
	r.Set(3000)
	r.Done()
	r.Done()
	r.Add(5)
	out = buf.String()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("Done output %q does not end with exactly one newline", out)
	}
	final := strings.TrimRight(out[strings.LastIndex(out, "\r")+1:], " \n")
	if want := "train [====================] 100% 3000/3000 6.64 it/s 7m32s"; final != want {
		t.Errorf("final draw = %q, want %q", final, want)
	}
}

func TestTerminalThrottle(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	r := New(&buf, 1000, "gen", WithClock(c.Now), WithTerminal(true))
	for range 1000 {
		c.Advance(time.Millisecond)
		r.Add(1)
	}
	// 1 s of updates every 1 ms: the first draw plus one per 100 ms.
	if n := strings.Count(buf.String(), "\r"); n != 11 {
		t.Errorf("%d draws in 1 s, want 11", n)
	}
}

func TestWithStart(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	r := New(&buf, 3000, "train", WithClock(c.Now), WithStart(1500))
	c.Advance(10 * time.Second)
	r.Add(20)
	r.Done()
	want := "train 1520/3000 (50%) 2.00 it/s elapsed 10s ETA 12m20s\ntrain done: 1520/3000 in 10s, 2.00 it/s\n"
	if buf.String() != want {
		t.Errorf("output %q, want %q", buf.String(), want)
	}
}

func TestStatusNewlines(t *testing.T) {
	var buf bytes.Buffer
	c := newClock()
	r := New(&buf, 10, "x", WithClock(c.Now))
	r.SetStatus("a\nb\rc")
	r.Done()
	if want := "x done: 0/10 in 0s, ? it/s, a b c\n"; buf.String() != want {
		t.Errorf("output %q, want %q", buf.String(), want)
	}
}

func TestConcurrent(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, 8000, "work", WithTerminal(true))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				r.Add(1)
				r.SetStatus("busy")
			}
		})
	}
	wg.Wait()
	r.Done()
	if !strings.Contains(buf.String(), "8000/8000") {
		t.Errorf("final output lacks 8000/8000: %q", buf.String()[max(0, buf.Len()-200):])
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	var nilFile *os.File
	for _, tc := range []struct {
		name string
		w    io.Writer
	}{{"buffer", &bytes.Buffer{}}, {"regular file", f}, {"pipe", pw}, {"nil file", nilFile}} {
		if isTerminal(tc.w) {
			t.Errorf("%s detected as a terminal", tc.name)
		}
	}
}

func TestFormat(t *testing.T) {
	rates := []struct {
		r    float64
		want string
	}{
		{0, "? it/s"}, {-1, "? it/s"}, {0.25, "4.00 s/it"}, {1, "1.00 it/s"}, {3.214, "3.21 it/s"},
		{12.34, "12.3 it/s"}, {99.99, "100.0 it/s"}, {1234.5, "1234 it/s"},
	}
	for _, tc := range rates {
		if got := formatRate(tc.r); got != tc.want {
			t.Errorf("formatRate(%v) = %q, want %q", tc.r, got, tc.want)
		}
	}
	durations := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {-time.Second, "0s"}, {1499 * time.Millisecond, "1s"}, {59 * time.Second, "59s"},
		{60 * time.Second, "1m00s"}, {7*time.Minute + 5*time.Second, "7m05s"},
		{time.Hour + 7*time.Minute + 5*time.Second, "1h07m05s"}, {100 * time.Hour, "100h00m00s"},
	}
	for _, tc := range durations {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestNoLabel(t *testing.T) {
	c := newClock()
	for _, tty := range []bool{false, true} {
		var buf bytes.Buffer
		r := New(&buf, 4, "", WithClock(c.Now), WithTerminal(tty), WithInterval(time.Second))
		c.Advance(time.Second)
		r.Add(2)
		r.Done()
		for _, line := range strings.FieldsFunc(buf.String(), func(r rune) bool { return r == '\r' || r == '\n' }) {
			if strings.HasPrefix(line, " ") {
				t.Errorf("tty %v: line %q starts with a space", tty, line)
			}
		}
	}
	New(nil, 10, "nil writer").Done() // must not panic
}

// TestBeside: a log line written beside a terminal progress line blanks
// it, prints, and redraws it below; with no line drawn it passes through;
// after Done nothing is redrawn.
func TestBeside(t *testing.T) {
	var out strings.Builder
	now := time.Unix(0, 0)
	r := New(&out, 10, "work", WithTerminal(true), WithClock(func() time.Time { return now }))
	r.Add(5)
	now = now.Add(time.Second)
	r.Add(0)
	log := Beside(&out)
	before := out.Len()
	io.WriteString(log, "level=INFO msg=hello\n")
	got := out.String()[before:]
	if !strings.HasPrefix(got, "\r") || !strings.Contains(got, "level=INFO msg=hello\n\rwork [") {
		t.Errorf("beside a drawn line: %q", got)
	}
	r.Done()
	before = out.Len()
	io.WriteString(log, "after\n")
	if got := out.String()[before:]; got != "after\n" {
		t.Errorf("after Done: %q", got)
	}
	var plain strings.Builder
	io.WriteString(Beside(&plain), "x\n")
	if plain.String() != "x\n" {
		t.Errorf("no reporter: %q", plain.String())
	}
}
