package engine

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing/fstest"
)

// overlayFS is a project as update decided it, for the audit: the files
// of base (the project on disk), with the decided contents instead where
// given (nil: the path is to be absent).
type overlayFS struct {
	base    fs.FS
	decided map[string][]byte
	mem     fstest.MapFS // the decided contents, with their directories
}

func newOverlayFS(base fs.FS, decided map[string][]byte) *overlayFS {
	mem := fstest.MapFS{}
	for p, c := range decided {
		if c != nil {
			mem[p] = &fstest.MapFile{Data: c, Mode: 0o644}
		}
	}
	return &overlayFS{base: base, decided: decided, mem: mem}
}

// Open opens a decided file from memory, else the file on disk, else a
// directory that only decided files are in.
func (o *overlayFS) Open(name string) (fs.File, error) {
	if c, ok := o.decided[name]; ok {
		if c == nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
		}
		return o.mem.Open(name)
	}
	f, err := o.base.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return o.mem.Open(name)
	}
	return f, err
}

// Lstat is Open's lookup without following links.
func (o *overlayFS) Lstat(name string) (fs.FileInfo, error) {
	if c, ok := o.decided[name]; ok {
		if c == nil {
			return nil, &fs.PathError{Op: "lstat", Path: name, Err: fs.ErrNotExist}
		}
		return fs.Stat(o.mem, name)
	}
	info, err := lstatFS(o.base, name)
	if errors.Is(err, fs.ErrNotExist) {
		return fs.Stat(o.mem, name)
	}
	return info, err
}

// ReadLink reads a link on disk (decided contents are never links).
func (o *overlayFS) ReadLink(name string) (string, error) {
	if l, ok := o.base.(fs.ReadLinkFS); ok {
		return l.ReadLink(name)
	}
	return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
}

// ReadDir lists a directory as decided: the entries on disk less the
// paths to be absent, with the decided files (and their directories).
func (o *overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	onDisk, errDisk := fs.ReadDir(o.base, name)
	inMem, errMem := fs.ReadDir(o.mem, name)
	if errDisk != nil && errMem != nil {
		return nil, errDisk
	}
	byName := map[string]fs.DirEntry{}
	for _, e := range onDisk {
		if c, ok := o.decided[path.Join(name, e.Name())]; !ok || c != nil {
			byName[e.Name()] = e
		}
	}
	for _, e := range inMem {
		if _, ok := byName[e.Name()]; !ok || !e.IsDir() {
			byName[e.Name()] = e
		}
	}
	out := make([]fs.DirEntry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

func lstatFS(fsys fs.FS, name string) (fs.FileInfo, error) {
	if l, ok := fsys.(fs.ReadLinkFS); ok {
		return l.Lstat(name)
	}
	return fs.Stat(fsys, name)
}
