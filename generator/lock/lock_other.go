//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package lock

import (
	"errors"
	"fmt"
	"os"
)

// tryCreate creates the lock file; without flock a lock file cannot be
// proven stale, so an existing one is reported for removal by hand.
func tryCreate(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	l := &Lock{path: path, f: f}
	if err := writePID(f); err != nil {
		return nil, errors.Join(fmt.Errorf("write lock %s: %w", path, err), l.Release())
	}
	return l, nil
}

func breakStale(path string) error {
	return &HeldError{Path: path, PID: readPID(path), Stale: true}
}

// Release closes and removes the lock file. It is safe to call more than
// once.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	return errors.Join(f.Close(), os.Remove(l.path))
}
