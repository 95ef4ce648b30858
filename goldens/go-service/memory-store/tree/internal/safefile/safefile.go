// Package safefile gives contained access to one directory (APP-02).
//
// All access goes through an os.Root, so no name can reach outside the
// directory, whatever ".." or symlink it contains. On top of that, names are
// validated as plain file names, symlinks are refused even when they point
// inside the directory, and files are written with mode 0600 through a
// temporary file and a rename, so a reader never sees half a file.
package safefile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"example.com/scratchpad/internal/validate"
)

// ErrSymlink is returned when the named file is a symbolic link.
var ErrSymlink = errors.New("safefile: refusing to follow a symbolic link")

// ErrNotRegular is returned when the named file is not a regular file.
var ErrNotRegular = errors.New("safefile: not a regular file")

// MaxFileSize bounds how much Read returns.
const MaxFileSize = 10 << 20

// Dir is a directory opened for contained access.
type Dir struct {
	root *os.Root
}

// Open opens dir for contained access.
func Open(dir string) (*Dir, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("safefile: open root: %w", err)
	}
	return &Dir{root: root}, nil
}

// Close releases the directory.
func (d *Dir) Close() error { return d.root.Close() }

// Read returns the contents of the regular file name.
func (d *Dir) Read(name string) ([]byte, error) {
	if err := validate.FileName("name", name); err != nil {
		return nil, err
	}
	before, err := d.root.Lstat(name)
	if err != nil {
		return nil, fmt.Errorf("safefile: stat: %w", err)
	}
	if err := regular(before); err != nil {
		return nil, err
	}
	f, err := d.root.Open(name)
	if err != nil {
		return nil, fmt.Errorf("safefile: open: %w", err)
	}
	defer f.Close()
	// The file opened must be the one checked: a symlink swapped in
	// between Lstat and Open is detected here.
	after, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safefile: stat: %w", err)
	}
	if !os.SameFile(before, after) {
		return nil, ErrSymlink
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("safefile: read: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("safefile: file larger than %d bytes", MaxFileSize)
	}
	return data, nil
}

// Write replaces the file name with data, mode 0600.
func (d *Dir) Write(name string, data []byte) (err error) {
	if err := validate.FileName("name", name); err != nil {
		return err
	}
	if fi, err := d.root.Lstat(name); err == nil {
		if err := regular(fi); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("safefile: stat: %w", err)
	}

	var suffix [8]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return fmt.Errorf("safefile: random: %w", err)
	}
	tmp := "." + name + "." + hex.EncodeToString(suffix[:]) + ".tmp"
	// O_EXCL never follows a symlink at tmp: creation fails instead.
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("safefile: create: %w", err)
	}
	defer func() {
		if err != nil {
			_ = d.root.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("safefile: write: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("safefile: sync: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("safefile: close: %w", err)
	}
	// Rename replaces a link at name instead of following it.
	if err := d.root.Rename(tmp, name); err != nil {
		return fmt.Errorf("safefile: rename: %w", err)
	}
	return nil
}

func regular(fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return ErrSymlink
	case !fi.Mode().IsRegular():
		return ErrNotRegular
	}
	return nil
}
