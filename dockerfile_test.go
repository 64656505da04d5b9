package main

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	urfave "github.com/urfave/cli/v2"

	"causeway/cli"
)

// No Docker engine runs where the tests do, so these tests check the
// Dockerfile as text and run its `go build` command on the build context
// that .dockerignore leaves.

// dockerInstruction is one instruction of a Dockerfile, continuation lines
// joined.
type dockerInstruction struct {
	cmd   string // upper case: FROM, RUN, COPY, ...
	args  string
	line  int
	stage int // index of its FROM; -1 before the first
}

// dockerStage is one FROM of a Dockerfile.
type dockerStage struct {
	image, name string
	line        int
}

// parseDockerfile reads the instructions of a Dockerfile (no heredocs, the
// default escape character).
func parseDockerfile(t *testing.T, path string) ([]dockerInstruction, []dockerStage) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []dockerInstruction
	var stages []dockerStage
	var cur strings.Builder
	start := 0
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "#") || (line == "" && cur.Len() == 0) {
			continue // comments (and the syntax directive) and blank lines
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`) + " ")
			continue
		}
		cur.WriteString(line)
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			continue
		}
		cmd, args, _ := strings.Cut(text, " ")
		ins := dockerInstruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start, stage: len(stages) - 1}
		if ins.cmd == "FROM" {
			f := strings.Fields(ins.args)
			st := dockerStage{image: f[len(f)-1], line: start}
			if len(f) >= 3 && strings.EqualFold(f[len(f)-2], "AS") {
				st.image, st.name = f[len(f)-3], f[len(f)-1]
			}
			stages = append(stages, st)
			ins.stage = len(stages) - 1
		}
		out = append(out, ins)
	}
	if cur.Len() > 0 {
		t.Fatalf("%s ends in a continuation line", path)
	}
	return out, stages
}

// shellWords splits s as sh would into words, expanding $NAME and ${NAME}
// from vars outside single quotes. It knows quotes and backslashes, not
// globbing or command substitution.
func shellWords(s string, vars map[string]string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		case c == '$' && quote != '\'':
			name, n := "", 0
			if strings.HasPrefix(s[i+1:], "{") {
				end := strings.IndexByte(s[i:], '}')
				if end < 0 {
					return nil, fmt.Errorf("unterminated ${ in %q", s)
				}
				name, n = s[i+2:i+end], end
			} else {
				m := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*`).FindString(s[i+1:])
				name, n = m, len(m)
			}
			v, ok := vars[name]
			if name == "" || !ok {
				return nil, fmt.Errorf("$%s in %q: not an ARG with a default or an ENV", name, s)
			}
			w.WriteString(v)
			i += n
			inWord = true
		case quote == '"':
			if c == '"' {
				quote = 0
			} else {
				w.WriteByte(c)
			}
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case strings.IndexByte(";&|<>`()", c) >= 0:
			return nil, fmt.Errorf("shell operator %q in %q: keep `go build` a plain command", c, s)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated quote in %q", s)
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

// execForm decodes a JSON (exec form) argument list.
func execForm(t *testing.T, ins dockerInstruction) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(ins.args), &v); err != nil {
		t.Fatalf("Dockerfile:%d: %s %s: not the exec (JSON) form: %v", ins.line, ins.cmd, ins.args, err)
	}
	return v
}

// dockerBuild is what the build stage's `go build` needs: its arguments
// (ARGs expanded), its environment (the stage's ENV and the command's own
// NAME=VALUE prefix) and the Dockerfile's line.
type dockerBuild struct {
	args []string
	env  []string
	line int
}

// buildCommand finds the build stage's `go build`.
func buildCommand(t *testing.T, ins []dockerInstruction, stage int) dockerBuild {
	t.Helper()
	vars := map[string]string{}
	var env []string
	var found *dockerBuild
	for _, in := range ins {
		if in.stage != stage {
			continue
		}
		switch in.cmd {
		case "ARG":
			if name, val, ok := strings.Cut(in.args, "="); ok {
				vars[name] = val
			}
		case "ENV":
			words, err := shellWords(in.args, vars)
			if err != nil {
				t.Fatalf("Dockerfile:%d: %v", in.line, err)
			}
			for _, w := range words {
				name, val, ok := strings.Cut(w, "=")
				if !ok {
					t.Fatalf("Dockerfile:%d: ENV %s: use the NAME=VALUE form", in.line, in.args)
				}
				vars[name] = val
				env = append(env, w)
			}
		case "RUN":
			if !strings.Contains(in.args, "go build") {
				continue
			}
			if found != nil {
				t.Fatalf("Dockerfile:%d: a second `go build` (the first is on line %d)", in.line, found.line)
			}
			words, err := shellWords(in.args, vars)
			if err != nil {
				t.Fatalf("Dockerfile:%d: %v", in.line, err)
			}
			b := dockerBuild{env: slices.Clone(env), line: in.line}
			for len(words) > 0 && regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(words[0]) {
				b.env = append(b.env, words[0])
				words = words[1:]
			}
			if len(words) < 2 || words[0] != "go" || words[1] != "build" {
				t.Fatalf("Dockerfile:%d: RUN %s: want a plain `go build ...` command", in.line, in.args)
			}
			b.args = words[1:]
			found = &b
		}
	}
	if found == nil {
		t.Fatal("Dockerfile: the build stage runs no `go build`")
	}
	return *found
}

// checkCommandLine asserts that args (a causeway command line without the
// program name) names a command of the app and only flags it defines.
func checkCommandLine(t *testing.T, where string, args []string) {
	t.Helper()
	if len(args) == 0 {
		t.Errorf("%s: no command", where)
		return
	}
	var cmd *urfave.Command
	for _, c := range cli.NewApp(version).Commands {
		if c.Name == args[0] {
			cmd = c
		}
	}
	if cmd == nil {
		t.Errorf("%s: causeway has no command %q", where, args[0])
		return
	}
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		var flag urfave.Flag
		for _, f := range cmd.Flags {
			if slices.Contains(f.Names(), name) {
				flag = f
			}
		}
		if flag == nil {
			t.Errorf("%s: `causeway %s` has no flag --%s", where, cmd.Name, name)
			continue
		}
		if _, isBool := flag.(*urfave.BoolFlag); !isBool && !hasValue {
			i++ // the flag's value
		}
	}
}

// dockerignore is a parsed .dockerignore: Docker's rules (path.Match
// patterns relative to the context root, ** for any number of directories,
// a match excludes everything below it, ! re-includes, the last match
// wins).
type dockerignore []struct {
	re      *regexp.Regexp
	include bool
}

func readDockerignore(t *testing.T, path string) dockerignore {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ig dockerignore
	for _, line := range strings.Split(string(data), "\n") {
		p := strings.TrimSpace(line)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		include := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(strings.TrimPrefix(p, "!"))), "/")
		var re strings.Builder
		re.WriteString("^")
		afterStars := false
		for i, seg := range strings.Split(p, "/") {
			if seg == "**" {
				re.WriteString("(?:[^/]+/)*")
				afterStars = true
				continue
			}
			if i > 0 && !afterStars {
				re.WriteString("/")
			}
			afterStars = false
			for _, r := range seg {
				switch r {
				case '*':
					re.WriteString("[^/]*")
				case '?':
					re.WriteString("[^/]")
				default:
					re.WriteString(regexp.QuoteMeta(string(r)))
				}
			}
		}
		re.WriteString("(?:/.*)?$")
		ig = append(ig, struct {
			re      *regexp.Regexp
			include bool
		}{regexp.MustCompile(re.String()), include})
	}
	return ig
}

// excluded tells whether the context path rel (slash-separated) is left
// out of the build context.
func (ig dockerignore) excluded(rel string) bool {
	out := false
	for _, p := range ig {
		if p.re.MatchString(rel) {
			out = !p.include
		}
	}
	return out
}

func TestDockerignoreMatching(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("# c\n.git\n/causeway\nruns\n**/*.tmp\ndocs/*.md\n!docs/keep.md\na*/b\n"), 0o644)
	ig := readDockerignore(t, filepath.Join(dir, ".dockerignore"))
	for rel, want := range map[string]bool{
		".git": true, ".git/HEAD": true, ".github": false, "causeway": true, "causeway.go": false,
		"runs/a/log.jsonl": true, "a.tmp": true, "x/y/a.tmp": true, "docs/a.md": true, "docs/keep.md": false,
		"docs/x/a.md": false, "go.mod": false, "models": false, "ax/b": true, "axb": false, "ax/c": false,
	} {
		if got := ig.excluded(rel); got != want {
			t.Errorf("excluded(%q) = %v, want %v", rel, got, want)
		}
	}
}

func TestShellWords(t *testing.T) {
	got, err := shellWords(`A=1 go build -ldflags="-s -X main.v=${V}" -o '/out/$x' \"q $V`, map[string]string{"V": "1.2"})
	want := []string{"A=1", "go", "build", "-ldflags=-s -X main.v=1.2", "-o", "/out/$x", `"q`, "1.2"}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("shellWords = %q, %v; want %q", got, err, want)
	}
	for _, bad := range []string{"go build && rm x", "echo ${NOPE}", `echo "open`} {
		if _, err := shellWords(bad, nil); err == nil {
			t.Errorf("shellWords(%q) succeeded", bad)
		}
	}
}

func TestDockerfile(t *testing.T) {
	ins, stages := parseDockerfile(t, "Dockerfile")
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a build stage and a runtime stage", len(stages))
	}
	named := map[string]bool{}
	for _, st := range stages {
		if named[st.image] {
			continue // FROM an earlier stage
		}
		if st.name != "" {
			named[st.name] = true
		}
		// Pinned by tag: a registry port's colon does not count.
		base := st.image[strings.LastIndex(st.image, "/")+1:]
		if _, tag, ok := strings.Cut(base, ":"); (!ok || tag == "" || tag == "latest") && !strings.Contains(st.image, "@sha256:") {
			t.Errorf("Dockerfile:%d: FROM %s is not pinned by a tag", st.line, st.image)
		}
	}
	build, final := 0, len(stages)-1
	if !strings.HasPrefix(stages[build].image, "golang:1.26") {
		t.Errorf("build stage FROM %s, want the official Go 1.26 image", stages[build].image)
	}
	if !strings.HasPrefix(stages[final].image, "gcr.io/distroless/static-debian12:nonroot") {
		t.Errorf("runtime stage FROM %s, want gcr.io/distroless/static-debian12:nonroot (the binary is static)", stages[final].image)
	}

	ig := readDockerignore(t, ".dockerignore")
	var user, entrypoint, cmd, health []string
	var exposed []string
	binary := ""
	for _, in := range ins {
		switch in.cmd {
		case "COPY", "ADD":
			if in.cmd == "ADD" {
				t.Errorf("Dockerfile:%d: use COPY, not ADD", in.line)
			}
			words := strings.Fields(in.args)
			from := false
			for len(words) > 0 && strings.HasPrefix(words[0], "--") {
				from = from || strings.HasPrefix(words[0], "--from=")
				words = words[1:]
			}
			if len(words) < 2 {
				t.Errorf("Dockerfile:%d: COPY %s: want sources and a destination", in.line, in.args)
				continue
			}
			if from {
				if in.stage == final && strings.HasSuffix(words[0], "/causeway") {
					binary = words[len(words)-1]
				}
				continue
			}
			for _, src := range words[:len(words)-1] {
				rel := filepath.ToSlash(filepath.Clean(src))
				if _, err := os.Stat(rel); err != nil {
					t.Errorf("Dockerfile:%d: COPY source %s: %v", in.line, src, err)
				}
				if rel != "." && ig.excluded(rel) {
					t.Errorf("Dockerfile:%d: COPY source %s is excluded by .dockerignore", in.line, src)
				}
			}
		case "USER":
			if in.stage == final {
				user = strings.Split(in.args, ":")
			}
		case "EXPOSE":
			if in.stage == final {
				exposed = append(exposed, strings.Fields(in.args)...)
			}
		case "ENTRYPOINT":
			if in.stage == final {
				entrypoint = execForm(t, in)
			}
		case "CMD":
			if in.stage == final {
				cmd = execForm(t, in)
			}
		case "HEALTHCHECK":
			if in.stage != final {
				continue
			}
			opts, rest, ok := strings.Cut(" "+in.args, " CMD ")
			if !ok {
				t.Errorf("Dockerfile:%d: HEALTHCHECK without CMD", in.line)
				continue
			}
			health = execForm(t, dockerInstruction{cmd: "HEALTHCHECK CMD", args: rest, line: in.line})
			// The check's own timeout must end before Docker's.
			for _, o := range strings.Fields(opts) {
				if v, ok := strings.CutPrefix(o, "--timeout="); ok {
					docker, err := time.ParseDuration(v)
					i := slices.Index(health, "--timeout")
					if err != nil || i < 0 || i+1 >= len(health) {
						t.Errorf("Dockerfile:%d: HEALTHCHECK --timeout %s and a healthcheck --timeout are both needed", in.line, v)
						continue
					}
					if own, err := time.ParseDuration(health[i+1]); err != nil || own >= docker {
						t.Errorf("Dockerfile:%d: healthcheck --timeout %s must be shorter than HEALTHCHECK --timeout=%s", in.line, health[i+1], v)
					}
				}
			}
		}
	}

	if len(user) == 0 || user[0] == "" || user[0] == "root" || user[0] == "0" || (len(user) > 1 && (user[1] == "0" || user[1] == "root")) {
		t.Errorf("runtime USER %q: want a non-root user and group", strings.Join(user, ":"))
	}
	if !slices.Contains(exposed, "8080") && !slices.Contains(exposed, "8080/tcp") {
		t.Errorf("EXPOSE %v: want 8080", exposed)
	}
	if !slices.Equal(entrypoint, []string{"causeway"}) {
		t.Errorf("ENTRYPOINT %q, want [\"causeway\"]", entrypoint)
	}
	if want := []string{"serve", "--addr", "0.0.0.0:8080"}; !slices.Equal(cmd, want) {
		t.Errorf("CMD %q, want %q", cmd, want)
	}
	checkCommandLine(t, "CMD", cmd)
	// distroless's PATH holds /usr/local/bin, where the binary goes; the
	// health check names it in full.
	if binary != "/usr/local/bin/causeway" {
		t.Errorf("the binary is copied to %q, want /usr/local/bin/causeway (on distroless's PATH)", binary)
	}
	if len(health) < 2 || health[0] != binary {
		t.Errorf("HEALTHCHECK CMD %q: want %s healthcheck ...", health, binary)
	} else {
		checkCommandLine(t, "HEALTHCHECK", health[1:])
		if health[1] != "healthcheck" || !slices.ContainsFunc(health, func(s string) bool {
			return strings.HasSuffix(s, ":8080/v2/health/ready")
		}) {
			t.Errorf("HEALTHCHECK CMD %q: want `healthcheck` of port 8080's /v2/health/ready", health)
		}
	}

	b := buildCommand(t, ins, build)
	for _, flag := range []string{"-trimpath", "-buildvcs=false"} {
		if !slices.Contains(b.args, flag) {
			t.Errorf("Dockerfile:%d: go %s: want %s", b.line, strings.Join(b.args, " "), flag)
		}
	}
}

// copyContext copies the repository into dir as `docker build .` would
// send it: without what .dockerignore excludes.
func copyContext(t *testing.T, dir string, ig dockerignore) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(path)
		if rel == "." {
			return nil
		}
		if ig.excluded(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dir, path)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDockerfileBuildCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary (-short)")
	}
	ins, _ := parseDockerfile(t, "Dockerfile")
	b := buildCommand(t, ins, 0)
	ctx := filepath.Join(t.TempDir(), "context")
	copyContext(t, ctx, readDockerignore(t, ".dockerignore"))

	bin := filepath.Join(t.TempDir(), "causeway")
	args := slices.Clone(b.args)
	i := slices.Index(args, "-o")
	if i < 0 || i+1 >= len(args) {
		t.Fatalf("Dockerfile:%d: go %s: no -o", b.line, strings.Join(args, " "))
	}
	args[i+1] = bin
	run := exec.Command("go", args...)
	run.Dir = ctx
	run.Env = append(os.Environ(), b.env...)
	if out, err := run.CombinedOutput(); err != nil {
		t.Fatalf("Dockerfile:%d: go %s: %v\n%s", b.line, strings.Join(args, " "), err, out)
	}

	// Static: no program interpreter and no shared libraries, so it runs
	// on distroless/static.
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("Dockerfile:%d: the binary has a program interpreter (dynamically linked); want CGO_ENABLED=0", b.line)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("Dockerfile:%d: the binary needs shared libraries %v (%v); want none", b.line, libs, err)
	}
	f.Close()

	version := ""
	for _, a := range args {
		if j := strings.Index(a, "main.version="); j >= 0 {
			version = strings.Fields(a[j+len("main.version="):])[0]
		}
	}
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil || version == "" || !strings.Contains(string(out), version) {
		t.Errorf("%s --version: %q, %v; want version %q", bin, out, err, version)
	}
	if out, err := exec.Command(bin, "healthcheck", "--url", "http://127.0.0.1:1/v2/health/ready", "--timeout", "1s").CombinedOutput(); err == nil {
		t.Errorf("healthcheck of a closed port succeeded: %s", out)
	}
}
