package engine

import (
	"errors"
	"syscall"
)

// isNotDir is true when a path cannot exist because one of its parents is
// a file.
func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
