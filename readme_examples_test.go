package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"causeway/cli"
)

// TestREADMEExamples holds every fenced ```sh block in README.md to the
// code (issue 13: every README example is executed by a test). A block is
// handled by the HTML comment right before it (other comments, such as the
// quick start's, may sit between the two):
//
//   - no example marker: the block runs as written, under bash -euo
//     pipefail, in a fresh temporary directory with a freshly built causeway
//     first on PATH (`go run .` becomes that binary), and with what the block
//     names prepared beside it: demo/ and data/graph-0000 (a `causeway scm
//     --nodes 20 --graphs 1 --seed 7` data set) and models/ (the repository's).
//   - <!-- example: serve -->: the block runs the same way against a `causeway
//     serve --models models` the test starts, with localhost:8080 replaced by
//     its address and `curl -s` by `curl -sf` (an HTTP error fails the block).
//   - <!-- example: check — WHY -->: the block cannot run here as written (it
//     trains for an hour, needs a checkpoint, Docker or a synopsis's
//     [optional] parts); WHY says so. Every line is checked: a causeway line
//     runs with CAUSEWAY_EXAMPLE_CHECK=1 (its flags and arguments parse, then
//     it exits; a synopsis's [optional parts] are included, the first of
//     a|b|c alternatives); a go line runs with -n (prints what it would do);
//     a repository script must exist, be executable and parse (bash -n); a
//     docker build needs its context's Dockerfile, a docker run of the
//     causeway image has its causeway arguments checked as above and its
//     mounted $PWD paths must exist in the repository or be written by an
//     earlier line of the block; a curl line runs against the test's server.
//     A line that is none of these fails the test.
//
// So a block added to the README without a marker runs, and fails the test
// unless it works as written.
func TestREADMEExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the README's examples")
	}
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeShellBlocks(t, string(data))
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```sh blocks")
	}
	bin := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, "causeway"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	x := &exampleRunner{t: t, repo: repo, bin: bin}
	t.Cleanup(func() { x.t = t; x.stopServer() })
	for _, b := range blocks {
		t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
			x.t = t
			switch b.kind {
			case "run":
				x.run(b.text, false)
			case "serve":
				x.run(b.text, true)
			case "check":
				if b.why == "" {
					t.Fatalf("README.md:%d: <!-- example: check --> must say why the block is not run", b.line)
				}
				x.check(b)
			default:
				t.Fatalf("README.md:%d: unknown example marker %q (want none, serve or check)", b.line, b.kind)
			}
		})
	}
}

// readmeBlock is one fenced shell block of README.md.
type readmeShellBlock struct {
	line int    // README line of the opening fence
	kind string // run, serve or check
	why  string // a check block's reason
	text string
}

var exampleMarker = regexp.MustCompile(`^<!--\s*example:\s*(\w+)\s*(.*?)\s*-->$`)

// readmeShellBlocks returns every fenced block of README.md whose info
// string is a shell (sh, bash, shell, console), with its example marker.
func readmeShellBlocks(t *testing.T, readme string) []readmeShellBlock {
	t.Helper()
	lines := strings.Split(readme, "\n")
	var out []readmeShellBlock
	for i := 0; i < len(lines); i++ {
		fence := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(fence, "```") {
			continue
		}
		lang := strings.Fields(strings.TrimPrefix(fence, "```") + " x")[0]
		j := i + 1
		for j < len(lines) && strings.TrimSpace(lines[j]) != "```" {
			j++
		}
		if j == len(lines) {
			t.Fatalf("README.md:%d: unclosed fence", i+1)
		}
		switch lang {
		case "sh", "bash", "shell", "console", "zsh":
		default:
			i = j
			continue
		}
		b := readmeShellBlock{line: i + 1, kind: "run", text: strings.Join(lines[i+1:j], "\n")}
		// The HTML comments directly above the fence.
		for k := i - 1; k >= 0 && strings.HasPrefix(strings.TrimSpace(lines[k]), "<!--"); k-- {
			if m := exampleMarker.FindStringSubmatch(strings.TrimSpace(lines[k])); m != nil {
				b.kind = m[1]
				b.why = strings.TrimSpace(strings.TrimLeft(m[2], "—-: "))
			}
		}
		out = append(out, b)
		i = j
	}
	return out
}

// exampleRunner runs and checks README blocks with one built binary and at
// most one server.
type exampleRunner struct {
	t      *testing.T
	repo   string
	bin    string // the directory of the built causeway
	server *exec.Cmd
	exited chan struct{} // closed when server has exited
	addr   string        // the server's host:port
}

func (x *exampleRunner) env(extra ...string) []string {
	return append(os.Environ(), append([]string{"PATH=" + x.bin + string(os.PathListSeparator) + os.Getenv("PATH")}, extra...)...)
}

// workdir returns a fresh directory prepared with what script names.
func (x *exampleRunner) workdir(script string) string {
	t := x.t
	dir := t.TempDir()
	scm := func(out string) {
		cmd := exec.Command(filepath.Join(x.bin, "causeway"), "scm", "--nodes", "20", "--graphs", "1", "--seed", "7", "--out", out)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("preparing %s: %v\n%s", out, err, b)
		}
	}
	if strings.Contains(script, "demo/") && !strings.Contains(script, "--out demo") {
		scm("demo")
	}
	if strings.Contains(script, "data/graph-0000") {
		scm("data")
	}
	if strings.Contains(script, "models") {
		// A directory of links to the repository's models/ entries, not a link
		// to models/ itself: serve --models does not follow a linked root.
		entries, err := os.ReadDir(filepath.Join(x.repo, "models"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(dir, "models"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if err := os.Symlink(filepath.Join(x.repo, "models", e.Name()), filepath.Join(dir, "models", e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

// run runs script as written (with `go run .` as the built binary), against
// the test's server if serve.
func (x *exampleRunner) run(script string, serve bool) {
	t := x.t
	script = strings.ReplaceAll(script, "go run .", "causeway")
	if serve {
		x.startServer()
		script = x.againstServer(script)
	}
	dir := x.workdir(script)
	out, err := x.bash(dir, script)
	if err != nil {
		t.Fatalf("%v\n%s\n--- output:\n%.3000s", err, script, out)
	}
	// What the block says it writes is there.
	for _, m := range regexp.MustCompile(`--(?:out|output) (\S+)`).FindAllStringSubmatch(script, -1) {
		if m[1] == "-" {
			continue
		}
		if fi, err := os.Stat(filepath.Join(dir, m[1])); err != nil || (!fi.IsDir() && fi.Size() == 0) {
			t.Errorf("the block's --out/--output %s is missing or empty (%v)\n%s", m[1], err, script)
		}
	}
	t.Logf("ran:\n%s\n--- output:\n%.600s", script, out)
}

// againstServer points script's curl lines at the test's server and makes
// an HTTP error fail them.
func (x *exampleRunner) againstServer(script string) string {
	script = strings.ReplaceAll(script, "localhost:8080", x.addr)
	return strings.ReplaceAll(script, "curl -s ", "curl -sf ")
}

func (x *exampleRunner) bash(dir, script string, env ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = x.env(env...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after 60 s: %w", err)
	}
	return out, err
}

// startServer starts `causeway serve --models models` on a free port and
// waits until it is ready.
func (x *exampleRunner) startServer() {
	t := x.t
	if x.server != nil {
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	x.addr = l.Addr().String()
	l.Close()
	dir := x.workdir("models")
	cmd := exec.Command(filepath.Join(x.bin, "causeway"), "serve", "--models", "models", "--addr", x.addr)
	cmd.Dir = dir
	logf, err := os.Create(filepath.Join(x.bin, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	x.server = cmd
	exited := make(chan struct{})
	x.exited = exited
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + x.addr + "/v2/health/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		log := func() string { b, _ := os.ReadFile(logf.Name()); return string(b) }
		select {
		case <-exited:
			x.server = nil
			t.Fatalf("causeway serve exited before it was ready\n%s", log())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("causeway serve is not ready after 60 s\n%s", log())
		}
	}
}

func (x *exampleRunner) stopServer() {
	if x.server == nil {
		return
	}
	_ = x.server.Process.Signal(os.Interrupt)
	select {
	case <-x.exited:
	case <-time.After(20 * time.Second):
		_ = x.server.Process.Kill()
		<-x.exited
		x.t.Error("causeway serve did not stop within 20 s of SIGINT")
	}
	x.server = nil
}

// check checks every line of a block that is not run (see TestREADMEExamples).
func (x *exampleRunner) check(b readmeShellBlock) {
	t := x.t
	lines := exampleLines(b.text)
	if len(lines) == 0 {
		t.Fatalf("README.md:%d: a check block with no command", b.line)
	}
	dir := x.workdir("models")
	for i, line := range lines {
		words := exampleWords(t, line)
		var env []string
		for len(words) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[0]) {
			env, words = append(env, words[0]), words[1:]
		}
		if len(words) == 0 {
			t.Fatalf("README.md:%d: %q: nothing to check", b.line, line)
		}
		switch name := words[0]; {
		case name == "causeway":
			x.checkCauseway(b, words[1:])
		case name == "go":
			if len(words) < 2 {
				t.Fatalf("README.md:%d: %q: no go command", b.line, line)
			}
			args := append([]string{words[1], "-n"}, words[2:]...)
			cmd := exec.Command("go", args...)
			cmd.Env = append(os.Environ(), env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("README.md:%d: go %s: %v\n%.2000s", b.line, strings.Join(args, " "), err, out)
			}
		case name == "docker":
			x.checkDocker(b, words, lines[:i])
		case name == "curl":
			// Runs against the test's server (the same binary the image runs).
			x.startServer()
			script := x.againstServer(line)
			if out, err := x.bash(dir, script); err != nil {
				t.Errorf("README.md:%d: %s: %v\n%.2000s", b.line, script, err, out)
			}
		case strings.Contains(name, "/") && !filepath.IsAbs(name):
			// A repository script: it exists, is executable and parses.
			fi, err := os.Stat(name)
			if err != nil || fi.Mode()&0o111 == 0 {
				t.Errorf("README.md:%d: %s is not an executable file of the repository (%v)", b.line, name, err)
				continue
			}
			if out, err := exec.Command("bash", "-n", name).CombinedOutput(); err != nil {
				t.Errorf("README.md:%d: bash -n %s: %v\n%s", b.line, name, err, out)
			}
		default:
			t.Errorf("README.md:%d: %q is neither run nor checkable by this test: handle it in readme_examples_test.go", b.line, line)
		}
	}
	t.Logf("checked (%s):\n%s", b.why, b.text)
}

// checkCauseway runs a causeway command line of a synopsis with
// CAUSEWAY_EXAMPLE_CHECK=1: [optional parts] included (the first of a|b
// alternatives), [...] and ... dropped.
func (x *exampleRunner) checkCauseway(b readmeShellBlock, words []string) {
	t := x.t
	var args []string
	depth := 0
	for _, w := range words {
		open := strings.Count(w, "[")
		w2 := strings.NewReplacer("[", "", "]", "").Replace(w)
		inside := depth+open > 0
		depth += open - strings.Count(w, "]")
		if w2 == "..." || w2 == "" {
			continue
		}
		if inside {
			w2 = strings.Split(w2, "|")[0]
		}
		args = append(args, w2)
	}
	cmd := exec.Command(filepath.Join(x.bin, "causeway"), args...)
	cmd.Dir = t.TempDir()
	cmd.Env = x.env(cli.ExampleCheckEnv + "=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "the command line parses") {
		t.Errorf("README.md:%d: causeway %s: %v\n%s", b.line, strings.Join(args, " "), err, out)
	}
}

// checkDocker checks a docker line: a build's context has a Dockerfile; a run
// mounts $PWD paths that exist or that an earlier line writes, and a run of
// the causeway image has its causeway arguments checked.
func (x *exampleRunner) checkDocker(b readmeShellBlock, words, before []string) {
	t := x.t
	if len(words) < 2 {
		t.Fatalf("README.md:%d: docker without a command", b.line)
	}
	switch words[1] {
	case "build":
		ctx := words[len(words)-1]
		if _, err := os.Stat(filepath.Join(ctx, "Dockerfile")); err != nil {
			t.Errorf("README.md:%d: docker build %s: %v", b.line, ctx, err)
		}
	case "run":
		valued := map[string]bool{"-p": true, "-v": true, "-e": true, "-w": true, "--name": true, "--network": true, "--env": true, "--volume": true, "--publish": true}
		i := 2
		for ; i < len(words) && strings.HasPrefix(words[i], "-"); i++ {
			if valued[words[i]] {
				i++
				if i < len(words) && (words[i-1] == "-v" || words[i-1] == "--volume") {
					x.checkMount(b, words[i], before)
				}
			}
		}
		if i == len(words) {
			t.Fatalf("README.md:%d: docker run without an image", b.line)
		}
		if strings.HasPrefix(words[i], "causeway:") && i+1 < len(words) {
			x.checkCauseway(b, words[i+1:])
		}
	default:
		t.Errorf("README.md:%d: docker %s is not checked by this test", b.line, words[1])
	}
}

func (x *exampleRunner) checkMount(b readmeShellBlock, spec string, before []string) {
	host := strings.Split(spec, ":")[0]
	if !strings.HasPrefix(host, "$PWD/") {
		return
	}
	p := strings.TrimPrefix(host, "$PWD/")
	if _, err := os.Stat(p); err == nil {
		return
	}
	for _, l := range before {
		for _, w := range strings.Fields(l) {
			if w == p {
				return
			}
		}
	}
	x.t.Errorf("README.md:%d: docker mounts %s, which is not in the repository nor written by an earlier line", b.line, p)
}

// exampleLines returns a block's command lines: comments dropped,
// continuations joined, blank lines skipped.
func exampleLines(text string) []string {
	var out []string
	cur := ""
	for _, l := range strings.Split(text, "\n") {
		if i := strings.Index(l, " #"); i >= 0 {
			l = l[:i]
		}
		if strings.HasPrefix(strings.TrimSpace(l), "#") {
			l = ""
		}
		l = strings.TrimSpace(l)
		if strings.HasSuffix(l, "\\") {
			cur += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		cur += l
		if strings.TrimSpace(cur) != "" {
			out = append(out, strings.TrimSpace(cur))
		}
		cur = ""
	}
	return out
}

// exampleWords splits a command line into words with '...' and "..." quoting
// (enough for the README's examples; no expansion).
func exampleWords(t *testing.T, line string) []string {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words, in = append(words, w.String()), false
				w.Reset()
			}
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unclosed quote in %q", line)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}
