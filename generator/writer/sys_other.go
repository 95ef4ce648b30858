//go:build !linux

package writer

import "io/fs"

// createFlags are added to the flags a file is created with.
const createFlags = 0

// umaskClears reports whether the process's umask may clear bits of mode;
// it is not known here, so always.
func umaskClears(fs.FileMode) bool { return true }
