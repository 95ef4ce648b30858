//go:build !linux

package writer

import (
	"os"
	"syscall"
)

// moveIntoPlace renames the staging directory to target. rename(2) replaces
// an empty directory and refuses a non-empty one; a file or link at target
// is refused before the rename.
func moveIntoPlace(stage, target string) error {
	if info, err := os.Lstat(target); err == nil && !info.IsDir() {
		return syscall.EEXIST
	}
	return syscall.Rename(stage, target)
}
