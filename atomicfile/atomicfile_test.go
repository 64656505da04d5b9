package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// leftovers returns the names in dir other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
next:
	for _, e := range ents {
		for _, w := range want {
			if e.Name() == w {
				continue next
			}
		}
		extra = append(extra, e.Name())
	}
	return extra
}

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name    string
		old     []byte // existing content, nil for none
		data    []byte
		perm    os.FileMode
		oldPerm os.FileMode
	}{
		{name: "new file", data: []byte("hello\n"), perm: 0o644},
		{name: "empty data", data: []byte{}, perm: 0o600},
		{name: "replace", old: []byte("old content that is longer"), data: []byte("new"), perm: 0o640, oldPerm: 0o600},
		{name: "replace changes mode", old: []byte("x"), data: []byte("y"), perm: 0o600, oldPerm: 0o644},
		{name: "binary", data: []byte{0, 1, 2, 255, 254}, perm: 0o644},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out.bin")
			if tc.old != nil {
				if err := os.WriteFile(path, tc.old, tc.oldPerm); err != nil {
					t.Fatal(err)
				}
			}
			if err := WriteFile(path, tc.data, tc.perm); err != nil {
				t.Fatalf("WriteFile: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(tc.data) {
				t.Errorf("content = %q, want %q", got, tc.data)
			}
			// The mode must be what os.WriteFile gives a new file with the
			// same perm under the same umask.
			ref := filepath.Join(t.TempDir(), "ref")
			if err := os.WriteFile(ref, nil, tc.perm); err != nil {
				t.Fatal(err)
			}
			refSt, _ := os.Stat(ref)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != refSt.Mode().Perm() {
				t.Errorf("mode = %v, want %v", st.Mode().Perm(), refSt.Mode().Perm())
			}
			if extra := leftovers(t, dir, "out.bin"); len(extra) > 0 {
				t.Errorf("files left behind: %v", extra)
			}
		})
	}
}

func TestCreateCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ckpt.safetensors")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name() != path {
		t.Errorf("Name() = %q, want %q", f.Name(), path)
	}
	tmp := f.TempName()
	if filepath.Dir(tmp) != dir || !strings.HasPrefix(filepath.Base(tmp), ".ckpt.safetensors.tmp-") {
		t.Errorf("TempName() = %q, want .ckpt.safetensors.tmp-* in %s", tmp, dir)
	}
	for _, chunk := range []string{"new ", "content ", "in chunks"} {
		if _, err := f.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	// Before Commit the target keeps its old content.
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("target before commit = %q, want %q", got, "old")
	}
	if err := f.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new content in chunks" {
		t.Errorf("target after commit = %q", got)
	}
	if extra := leftovers(t, dir, "ckpt.safetensors"); len(extra) > 0 {
		t.Errorf("files left behind: %v", extra)
	}
	// Close after Commit is a no-op; a second Commit and a Write fail.
	if err := f.Close(); err != nil {
		t.Errorf("Close after Commit: %v", err)
	}
	if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Commit error = %v, want os.ErrClosed", err)
	}
	if _, err := f.Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Commit error = %v, want os.ErrClosed", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new content in chunks" {
		t.Errorf("target changed after Commit: %q", got)
	}
}

func TestAbortLeavesTarget(t *testing.T) {
	tests := []struct {
		name   string
		old    *string
		finish func(*File) error
	}{
		{name: "abort existing", old: ptr("precious"), finish: (*File).Abort},
		{name: "close existing", old: ptr("precious"), finish: (*File).Close},
		{name: "abort new", finish: (*File).Abort},
		{name: "close new", finish: (*File).Close},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "target")
			if tc.old != nil {
				if err := os.WriteFile(path, []byte(*tc.old), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			f, err := Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Write([]byte("half-written garbage")); err != nil {
				t.Fatal(err)
			}
			if err := tc.finish(f); err != nil {
				t.Fatalf("finish: %v", err)
			}
			if err := f.Abort(); err != nil {
				t.Errorf("second Abort: %v", err)
			}
			got, err := os.ReadFile(path)
			if tc.old == nil {
				if !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("target exists after abort (err %v, content %q)", err, got)
				}
			} else if string(got) != *tc.old {
				t.Errorf("target = %q, want %q", got, *tc.old)
			}
			want := []string{}
			if tc.old != nil {
				want = append(want, "target")
			}
			if extra := leftovers(t, dir, want...); len(extra) > 0 {
				t.Errorf("files left behind: %v", extra)
			}
			if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
				t.Errorf("Commit after abort error = %v, want os.ErrClosed", err)
			}
		})
	}
}

func TestWriteErrorFailsCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "target")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.f.Close() // make the next write fail
	if _, err := f.Write([]byte("data")); err == nil {
		t.Fatal("Write to closed temp file succeeded")
	}
	if _, err := f.Write([]byte("more")); err == nil {
		t.Fatal("Write after a failed write succeeded")
	}
	if err := f.Commit(); err == nil {
		t.Fatal("Commit after a failed write succeeded")
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Errorf("target = %q, want %q", got, "old")
	}
	if extra := leftovers(t, dir, "target"); len(extra) > 0 {
		t.Errorf("files left behind: %v", extra)
	}
}

func TestCreateErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		contains string
		notExist bool
	}{
		{name: "missing directory", path: filepath.Join(dir, "no", "such", "x"), contains: "does not exist", notExist: true},
		{name: "parent is a file", path: filepath.Join(file, "x"), contains: "is not a directory"},
		{name: "target is a directory", path: dir, contains: "is a directory"},
		{name: "trailing slash", path: dir + "/", contains: "names a directory"},
		{name: "empty", path: "", contains: "empty path"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Create(tc.path)
			if err == nil {
				t.Fatal("Create succeeded")
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
			if tc.notExist && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %v does not wrap fs.ErrNotExist", err)
			}
			if err := WriteFile(tc.path, []byte("x"), 0o644); err == nil {
				t.Error("WriteFile succeeded")
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestSpecialTargets: a symbolic link is followed (the link stays), a device
// and a FIFO are written directly (they stay what they are), and stale
// temporaries of the target are removed.
func TestSpecialTargets(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "link.json")
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", st.Mode(), err)
	}
	if b, _ := os.ReadFile(real); string(b) != "new" {
		t.Fatalf("the link's target holds %q", b)
	}
	// A dangling link creates its target.
	dangling := filepath.Join(dir, "dangling.json")
	if err := os.Symlink("made.json", dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dangling, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "made.json")); string(b) != "x" {
		t.Fatalf("dangling link target holds %q", b)
	}

	if err := WriteFile(os.DevNull, []byte("discarded"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(os.DevNull); err != nil || st.Mode()&os.ModeDevice == 0 {
		t.Fatalf("%s is no longer a device: %v %v", os.DevNull, st.Mode(), err)
	}

	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan []byte)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- b
	}()
	if err := WriteFile(fifo, []byte("through the pipe"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b := <-got; string(b) != "through the pipe" {
		t.Fatalf("FIFO reader got %q", b)
	}
	if st, _ := os.Lstat(fifo); st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced by %v", st.Mode())
	}

	stale := filepath.Join(dir, ".real.json.tmp-0badc0de")
	fresh := filepath.Join(dir, ".real.json.tmp-00000001")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * StaleAfter)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(real, []byte("again"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary %s kept (%v)", stale, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("a fresh temporary (maybe another writer's) was removed: %v", err)
	}
}
