//go:build linux

package writer

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// moveIntoPlace renames the staging directory to target. An absent target is
// claimed with RENAME_NOREPLACE, so a file or link created meanwhile is never
// replaced; an existing target must still be an empty directory, which
// rename(2) replaces atomically (and refuses if it is no longer empty).
func moveIntoPlace(stage, target string) error {
	err := unix.Renameat2(unix.AT_FDCWD, stage, unix.AT_FDCWD, target, unix.RENAME_NOREPLACE)
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EEXIST) {
		info, lerr := os.Lstat(target)
		if lerr != nil || !info.IsDir() {
			return err
		}
		return unix.Rename(stage, target)
	}
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		// The file system does not support RENAME_NOREPLACE.
		if _, lerr := os.Lstat(target); lerr == nil {
			info, _ := os.Lstat(target)
			if !info.IsDir() {
				return unix.EEXIST
			}
		}
		return unix.Rename(stage, target)
	}
	return err
}
