package progress

import (
	"io"
	"strings"
	"sync"
)

// drawnLines holds, per output (os.Stderr, typically), the progress line a
// terminal Reporter last drew there, so that log lines written through
// Beside can move it out of their way.
var drawnLines = struct {
	sync.Mutex
	drawn map[io.Writer]string
}{drawn: map[io.Writer]string{}}

// drawLine writes text to w and records line (≠ "") as the line drawn on
// w, or forgets it, in one step, so that no Beside write falls between.
func drawLine(w io.Writer, text, line string) {
	drawnLines.Lock()
	defer drawnLines.Unlock()
	io.WriteString(w, text)
	if line == "" {
		delete(drawnLines.drawn, w)
		return
	}
	drawnLines.drawn[w] = line
}

// Beside returns a writer onto w for other output, such as log lines, that
// shares w with a Reporter: when a Reporter's line is drawn on w (a
// terminal), each write first blanks that line, then writes, then draws the
// line again below, so the two never overwrite each other. Anywhere else
// it writes straight through.
func Beside(w io.Writer) io.Writer { return beside{w} }

type beside struct{ w io.Writer }

func (b beside) Write(p []byte) (int, error) {
	drawnLines.Lock()
	defer drawnLines.Unlock()
	line, ok := drawnLines.drawn[b.w]
	if !ok {
		return b.w.Write(p)
	}
	blank := "\r" + strings.Repeat(" ", len([]rune(line))) + "\r"
	if _, err := io.WriteString(b.w, blank); err != nil {
		return 0, err
	}
	n, err := b.w.Write(p)
	if err == nil && (len(p) == 0 || p[len(p)-1] == '\n') {
		io.WriteString(b.w, "\r"+line)
	}
	return n, err
}
