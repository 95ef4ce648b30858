//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package lock

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/secgen/secgen/generator/failure"
)

// tryCreate creates the lock file and takes flock on it. Between the create
// and the flock another run may take the brand-new file for stale and
// remove it; the inode check after the flock catches that, and this run
// backs off without touching the path.
func tryCreate(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errRetry
		}
		return nil, fmt.Errorf("flock %s: %w", path, err)
	}
	if same, err := samePath(f, path); err != nil || !same {
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		return nil, errRetry
	}
	if err := writePID(f); err != nil {
		l := &Lock{path: path, f: f}
		return nil, errors.Join(fmt.Errorf("write lock %s: %w", path, err), l.Release())
	}
	return &Lock{path: path, f: f}, nil
}

// breakStale looks at an existing lock file. When a live process holds
// flock on it, it returns a *HeldError. When nobody does, the holder is
// dead: holding the flock itself, and having checked the path still names
// that very file, it removes it so the caller can retry. Only a holder of a
// file's flock ever removes that file, so a live lock is never removed.
func breakStale(path string) error {
	// Never through a link, and never blocking on a FIFO planted there.
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, unix.ELOOP) {
		return failure.Invalidf("lock %s is a symbolic link; remove it", failure.Quote(path))
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil // released meanwhile
	}
	if err != nil {
		return fmt.Errorf("open lock %s: %w", path, err)
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil || !info.Mode().IsRegular() {
		return failure.Invalidf("lock %s is not a regular file; remove it", failure.Quote(path))
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			b, _ := io.ReadAll(io.LimitReader(f, 32))
			return &HeldError{Path: path, PID: parsePID(b)}
		}
		return fmt.Errorf("flock %s: %w", path, err)
	}
	same, err := samePath(f, path)
	if err != nil || !same {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale lock %s: %w", path, err)
	}
	return nil
}

// samePath reports whether path still names the open file f.
func samePath(f *os.File, path string) (bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("stat lock %s: %w", path, err)
	}
	pi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("stat lock %s: %w", path, err)
	}
	return os.SameFile(fi, pi), nil
}

// Release removes the lock file, if it is still this lock's, then drops the
// flock. It is safe to call more than once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	var errs []error
	if same, err := samePath(f, l.path); err != nil {
		errs = append(errs, err)
	} else if same {
		if err := os.Remove(l.path); err != nil {
			errs = append(errs, fmt.Errorf("remove lock %s: %w", l.path, err))
		}
	}
	if err := f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close lock %s: %w", l.path, err))
	}
	return errors.Join(errs...)
}
