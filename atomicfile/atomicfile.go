// Package atomicfile writes files atomically: readers of the target path see
// either the old content or the complete new content, never a partial write.
//
// The data goes to a temporary file in the target's directory (named
// ".NAME.tmp-XXXXXXXX"), which is synced to disk, closed and renamed over the
// target only when the writer commits. If the writer aborts, fails or crashes,
// the target is untouched; a crash may leave the temporary file behind, which
// is safe to delete.
//
// Rename is atomic on POSIX file systems when source and target are in the
// same directory, which is why the temporary file is created there.
//
// Only regular files are replaced. A symbolic link is followed and its
// target replaced (the link stays a link); a target that exists and is not a
// regular file (a device such as /dev/null, a FIFO, a socket) and the path
// "-" (standard output) are written directly, since replacing them would
// break what they are. Create also removes the temporary files that an
// interrupted earlier write of the same target left behind (older than
// StaleAfter).
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// File is a file being written atomically. Write to it, then call Commit to
// replace the target, or Abort (or Close) to discard what was written.
//
// A File is not safe for concurrent use.
type File struct {
	f      *os.File
	path   string // target
	tmp    string // temporary file in the target's directory ("" when direct)
	err    error  // first write error; Commit reports it
	closed bool   // committed or aborted
	direct bool   // writing the target itself (standard output, a device, a FIFO)
}

// StaleAfter is the age beyond which a temporary file of a target counts as
// left behind by an interrupted write, and Create removes it.
const StaleAfter = time.Minute

// Create starts writing the file path atomically. The target is not touched
// until Commit. A new file gets mode 0666 before the umask, as with os.Create;
// the mode of an existing target is not kept.
func Create(path string) (*File, error) {
	return create(path, 0o666)
}

// WriteFile writes data to the file path atomically, like os.WriteFile but
// never leaving a partial file behind. The file gets mode perm (before the
// umask), whether or not the target existed.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	f, err := create(path, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}

func create(path string, perm os.FileMode) (*File, error) {
	if path == "" {
		return nil, errors.New("atomicfile: create: empty path")
	}
	if path == "-" {
		return &File{f: os.Stdout, path: path, direct: true}, nil
	}
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		target, err := resolveLink(path)
		if err != nil {
			return nil, fmt.Errorf("atomicfile: create %s: %w", path, err)
		}
		f, err := create(target, perm)
		if f != nil && !f.direct {
			f.path = target
		}
		return f, err
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return nil, fmt.Errorf("atomicfile: create %s: %w", path, err)
		}
		return &File{f: f, path: path, direct: true}, nil
	}
	if os.IsPathSeparator(path[len(path)-1]) {
		return nil, fmt.Errorf("atomicfile: create %s: path names a directory", path)
	}
	dir, base := filepath.Dir(path), filepath.Base(path)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("atomicfile: create %s: directory %s does not exist: %w", path, dir, fs.ErrNotExist)
	case err != nil:
		return nil, fmt.Errorf("atomicfile: create %s: %w", path, err)
	case !st.IsDir():
		return nil, fmt.Errorf("atomicfile: create %s: %s is not a directory", path, dir)
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("atomicfile: create %s: target is a directory", path)
	}
	removeStale(dir, base)
	for range 1000 {
		tmp := filepath.Join(dir, fmt.Sprintf(".%s.tmp-%08x", base, rand.Uint32()))
		f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("atomicfile: create %s: %w", path, err)
		}
		return &File{f: f, path: path, tmp: tmp}, nil
	}
	return nil, fmt.Errorf("atomicfile: create %s: could not find a free temporary name in %s", path, dir)
}

// resolveLink follows the symbolic link path (and links it points to) to the
// path it finally names, which may not exist yet.
func resolveLink(path string) (string, error) {
	for range 40 {
		st, err := os.Lstat(path)
		if errors.Is(err, fs.ErrNotExist) {
			return path, nil
		}
		if err != nil {
			return "", err
		}
		if st.Mode()&fs.ModeSymlink == 0 {
			return path, nil
		}
		dest, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(filepath.Dir(path), dest)
		}
		path = dest
	}
	return "", errors.New("too many levels of symbolic links")
}

// removeStale deletes the temporary files of target base in dir that are
// older than StaleAfter (an interrupted write's); errors are ignored.
func removeStale(dir, base string) {
	matches, _ := filepath.Glob(filepath.Join(dir, "."+globEscape(base)+".tmp-????????"))
	for _, m := range matches {
		if st, err := os.Lstat(m); err == nil && st.Mode().IsRegular() && time.Since(st.ModTime()) > StaleAfter {
			os.Remove(m)
		}
	}
}

// globEscape quotes the glob metacharacters of s.
func globEscape(s string) string {
	var b []byte
	for i := range len(s) {
		switch s[i] {
		case '*', '?', '[', '\\':
			b = append(b, '\\')
		}
		b = append(b, s[i])
	}
	return string(b)
}

// Name returns the target path, the one Commit replaces.
func (f *File) Name() string { return f.path }

// TempName returns the path of the temporary file being written.
func (f *File) TempName() string { return f.tmp }

// Write writes p to the temporary file. After a write error, later writes
// fail too and Commit reports the error and discards the file.
func (f *File) Write(p []byte) (int, error) {
	if f.closed {
		return 0, fmt.Errorf("atomicfile: write %s: %w", f.path, os.ErrClosed)
	}
	if f.err != nil {
		return 0, f.err
	}
	n, err := f.f.Write(p)
	if err != nil {
		f.err = fmt.Errorf("atomicfile: write %s: %w", f.path, err)
		return n, f.err
	}
	return n, nil
}

// Commit syncs the written data to disk, closes the temporary file and
// renames it over the target, then syncs the directory so the rename is
// durable. If any step (or an earlier Write) failed, the temporary file is
// removed, the target is left as it was, and the error is returned.
// Commit after Commit or Abort returns an error wrapping os.ErrClosed.
func (f *File) Commit() error {
	if f.closed {
		return fmt.Errorf("atomicfile: commit %s: %w", f.path, os.ErrClosed)
	}
	f.closed = true
	err := f.err
	if f.direct {
		if f.f != os.Stdout {
			if e := f.f.Close(); e != nil && err == nil {
				err = fmt.Errorf("atomicfile: close %s: %w", f.path, e)
			}
		}
		return err
	}
	if err == nil {
		if e := f.f.Sync(); e != nil {
			err = fmt.Errorf("atomicfile: sync %s: %w", f.tmp, e)
		}
	}
	if e := f.f.Close(); e != nil && err == nil {
		err = fmt.Errorf("atomicfile: close %s: %w", f.tmp, e)
	}
	if err == nil {
		if e := os.Rename(f.tmp, f.path); e != nil {
			err = fmt.Errorf("atomicfile: commit %s: %w", f.path, e)
		}
	}
	if err != nil {
		os.Remove(f.tmp)
		return err
	}
	syncDir(filepath.Dir(f.path))
	return nil
}

// syncDir makes a rename in dir durable. Some file systems refuse to sync a
// directory; the rename has happened regardless, so errors are ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// Abort discards the temporary file and leaves the target untouched. It
// returns an error only if the temporary file could not be removed. Abort
// after Commit or Abort does nothing and returns nil, so it is safe to defer.
// A target written directly (standard output, a device, a FIFO) has already
// received what was written: Abort only closes it.
func (f *File) Abort() error {
	if f.closed {
		return nil
	}
	f.closed = true
	if f.direct {
		if f.f != os.Stdout {
			f.f.Close()
		}
		return nil
	}
	f.f.Close()
	if err := os.Remove(f.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("atomicfile: abort %s: %w", f.path, err)
	}
	return nil
}

// Close is Abort: without a prior Commit it discards what was written. It
// lets a File be used where an io.Closer is expected, with
// "defer f.Close()" as the clean-up on error paths.
func (f *File) Close() error { return f.Abort() }
