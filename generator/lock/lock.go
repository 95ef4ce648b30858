// Package lock keeps two secgen runs from working in one project at once.
//
// The lock is a file created with O_CREATE|O_EXCL that holds the owner's
// process id. On Linux, macOS and the BSDs the owner also holds flock(2) on
// it for as long as it runs; the kernel drops that when the process dies,
// however it dies, so a lock file nobody holds flock on is stale and is
// broken safely (see breakStale). Elsewhere a stale lock file must be
// removed by hand.
package lock

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// FileName is the lock file's name in a project's root directory.
const FileName = ".secgen.lock"

// ErrLocked is matched (errors.Is) by the error Acquire returns when another
// live run holds the lock.
var ErrLocked = errors.New("project is locked by another secgen run")

// HeldError says who holds a lock.
type HeldError struct {
	Path string // the lock file
	PID  int    // the holder's process id, 0 when unknown
	// Stale is true when the lock cannot be proven live and must be
	// removed by hand (platforms without flock).
	Stale bool
}

func (e *HeldError) Error() string {
	who := "another secgen run"
	if e.PID > 0 {
		who = fmt.Sprintf("another secgen run (pid %d)", e.PID)
	}
	if e.Stale {
		return fmt.Sprintf("%s may be working in this project: if none is, remove %s", who, e.Path)
	}
	return fmt.Sprintf("%s is working in this project; wait for it to finish (lock %s)", who, e.Path)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *HeldError) Is(target error) bool { return target == ErrLocked }

// Lock is a held lock. Release it exactly once the run is over, typically
// with defer right after Acquire; Release is safe to call again.
type Lock struct {
	path string
	f    *os.File
}

// Path returns the lock file's path.
func (l *Lock) Path() string { return l.path }

// attempts bounds how often Acquire retries after losing a race with
// another run creating or breaking the same lock.
const attempts = 8

// Acquire takes the lock at path or returns an error that matches ErrLocked
// when a live run holds it.
func Acquire(path string) (*Lock, error) {
	for range attempts {
		l, err := tryCreate(path)
		switch {
		case err == nil:
			return l, nil
		case errors.Is(err, errRetry):
			continue
		case !errors.Is(err, os.ErrExist):
			return nil, fmt.Errorf("create lock %s: %w", path, err)
		}
		if err := breakStale(path); err != nil {
			return nil, err
		}
	}
	return nil, &HeldError{Path: path, PID: readPID(path)}
}

// errRetry says a race was lost and the caller should look again.
var errRetry = errors.New("lock changed hands; retry")

func writePID(f *os.File) error {
	_, err := f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	return err
}

func readPID(path string) int {
	if info, err := os.Lstat(path); err != nil || !info.Mode().IsRegular() {
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(f, 32))
	return parsePID(b)
}

func parsePID(b []byte) int {
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid < 0 {
		return 0
	}
	return pid
}
