package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/secgen/secgen/generator/failure"
	"github.com/secgen/secgen/generator/manifest"
)

// ResolveDir makes dir absolute and checks it is a directory, not a link.
// The working directory ("") is taken as the real directory it is, even
// when the user reached it through a symbolic link.
func ResolveDir(dir string) (string, error) {
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", fmt.Errorf("find the working directory: %w", err)
		}
		if wd, err = filepath.EvalSymlinks(wd); err != nil {
			return "", fmt.Errorf("resolve the working directory: %w", err)
		}
		dir = wd
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", failure.Quote(dir), err)
	}
	info, err := os.Lstat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", failure.Invalidf("project directory %s does not exist", failure.Quote(dir))
	case err != nil:
		return "", fmt.Errorf("inspect %s: %w", failure.Quote(dir), err)
	case info.Mode()&fs.ModeSymlink != 0:
		return "", failure.Invalidf("project directory %s is a symbolic link; name the real directory", failure.Quote(dir))
	case !info.IsDir():
		return "", failure.Invalidf("project directory %s is not a directory", failure.Quote(dir))
	}
	return root, nil
}

// Locate resolves the project root for dir. From the working directory
// ("") it walks up to the nearest directory holding the manifest, stopping
// at the repository root (a directory holding .git) or the file system's
// root; -C DIR names the root itself. found reports whether the root holds
// a manifest; when it does not, root is the directory itself.
func Locate(dir string) (root string, found bool, err error) {
	start, err := ResolveDir(dir)
	if err != nil {
		return "", false, err
	}
	has := func(d string) bool {
		_, err := os.Lstat(filepath.Join(d, manifest.FileName))
		return err == nil
	}
	if dir != "" {
		return start, has(start), nil
	}
	for d := start; ; {
		if has(d) {
			return d, true, nil
		}
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			break // the repository root: a project is never above it
		}
		up := filepath.Dir(d)
		if up == d {
			break
		}
		d = up
	}
	return start, false, nil
}

// ReadManifest reads and parses root's manifest; it must be a regular file.
func ReadManifest(root string) (*manifest.Manifest, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open project: %w", err)
	}
	defer r.Close()
	info, err := r.Lstat(manifest.FileName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, failure.Invalidf("%s has no %s: run this inside a project made by secgen new, or adopt it with secgen init", failure.Quote(root), manifest.FileName)
	}
	if err != nil {
		return nil, fmt.Errorf("inspect %s: %w", manifest.FileName, err)
	}
	if !info.Mode().IsRegular() {
		return nil, failure.Invalidf("%s is not a regular file", manifest.FileName)
	}
	if info.Size() > manifest.MaxSize {
		return nil, failure.Invalidf("%s is larger than %d bytes", manifest.FileName, manifest.MaxSize)
	}
	data, err := r.ReadFile(manifest.FileName)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", manifest.FileName, err)
	}
	return manifest.Parse(data)
}
