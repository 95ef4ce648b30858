package manifest

import (
	"os"
	"path/filepath"
)

// FindRoot walks up from the absolute directory start to the nearest
// directory holding the manifest, stopping at a repository root (a
// directory holding .git) or the file system's root: a project is never
// above its repository. It returns start and false when there is none.
func FindRoot(start string) (string, bool) {
	for d := start; ; {
		if _, err := os.Lstat(filepath.Join(d, FileName)); err == nil {
			return d, true
		}
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return start, false
		}
		up := filepath.Dir(d)
		if up == d {
			return start, false
		}
		d = up
	}
}
